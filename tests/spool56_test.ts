/**
 * The spool's remaining edges at many records: an emit reads only the entries it replays;
 * `flush --json` streams its records; a `flush` whose printout fails says what it appended; one
 * fsync for each batch, proven by `kill -9` at random points. Real processes, real faults
 * (`/dev/full`, a closed pipe, `kill -9`), strace to count the system calls.
 *
 * ```sh
 * deno test -A tests/spool56_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { makeProject, tempDir } from "./fixtures.ts";
import { agentsOf, recordsOf, RUNREC, RUNREC_SH } from "./support/runs.ts";
import { waitFor } from "./support/held.ts";
import { runCliProcess } from "./cli.ts";
import { saveLostMany, spoolMany } from "./support/spooled.ts";
import { seededRandom } from "./seed.ts";
import { SPOOL_FOLDER } from "../src/spool.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { checksumMatches, decodeRecord } from "../src/codec.ts";

/** The lines `del`'s record file holds whole (ended by `\n`), header aside. */
async function wholeLines(del: string): Promise<number> {
  const bytes = await Deno.readFile(join(del, RECORD_FILE)).catch(() => new Uint8Array());
  let lines = 0;
  for (let at = bytes.indexOf(0x0a); at >= 0; at = bytes.indexOf(0x0a, at + 1)) lines++;
  return Math.max(0, lines - 1);
}

/** The entries in `del`'s own spool (claims too). */
function spoolNames(del: string): string[] {
  try {
    return [...Deno.readDirSync(join(del, SPOOL_FOLDER))].map((e) => e.name)
      .filter((name) => name.includes(".json"));
  } catch {
    return [];
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `child` killed, if it still runs, and waited for. */
async function stopped(child: Deno.ChildProcess | undefined): Promise<void> {
  try {
    child?.kill("SIGKILL");
  } catch { /* ended */ }
  await child?.status;
}

/** `runrec args` under strace tracing `calls` (`-y`: each descriptor's path); the trace's lines. */
async function traced(calls: string, args: string[]): Promise<{ code: number; trace: string[] }> {
  const dir = await tempDir();
  const out = join(dir, "trace");
  try {
    const run = await new Deno.Command("strace", {
      args: ["-f", "-qq", "-y", "-e", `trace=${calls}`, "-o", out, ...RUNREC, ...args],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    return { code: run.code, trace: (await Deno.readTextFile(out)).split("\n") };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("an emit with 300 spooled records waiting reads the entries it replays, not all 300: each read and parsed made an emit's wait grow with the spool (spool-56 1)", async () => {
  const { root, del } = await makeProject();
  try {
    const agents = spoolMany(del, 300, 10_000);
    const { code, trace } = await traced("openat", [
      "emit",
      del,
      "--agent",
      "LATER",
      "--status",
      "SUCCESS",
    ]);
    assertEquals(code, 0);
    const opened = trace.filter((l) => l.includes(`/${SPOOL_FOLDER}/`) && !l.includes("ENOENT"));
    const replayed = (await agentsOf(del)).slice(0, -1);
    assertEquals(replayed, agents.slice(0, replayed.length));
    assert(replayed.length > 0 && replayed.length < 30, `${replayed.length} replayed`);
    console.log(`${opened.length} spool files opened, ${replayed.length} replayed`);
    assert(opened.length < 2 * replayed.length + 10, `${opened.length} spool files opened`);
    assertEquals(spoolNames(del).length, 300 - replayed.length);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("flush --json prints each record as its batch is appended, one JSON document in the end: it held every record until the end (spool-56 2)", async () => {
  const { root, del } = await makeProject();
  let child: Deno.ChildProcess | undefined;
  try {
    const agents = spoolMany(del, 100, 10_000);
    child = new Deno.Command(RUNREC[0], {
      args: [...RUNREC.slice(1), "flush", del, "--json"],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
      env: { NO_COLOR: "1" },
    }).spawn();
    const output = child.output();
    // Past one batch (25 records of 10 KB): its records are printed while the flush goes on.
    await waitFor(async () => await wholeLines(del) >= 40, "40 records appended");
    child.kill("SIGKILL");
    const killed = new TextDecoder().decode((await output).stdout);
    const printed = [...killed.matchAll(/"RunID": "([^"]+)"/g)].map((m) => m[1]);
    const inFile = (await recordsOf(del)).map((r) => r.RunID);
    assert(printed.length >= 20, `${printed.length} printed of ${inFile.length} appended`);
    assertEquals(printed, inFile.slice(0, printed.length));
    // The rest, through python's parser: one valid document.
    const sh = `${RUNREC_SH} flush '${del}' --json | python3 -m json.tool`;
    const run = await new Deno.Command("bash", {
      args: ["-o", "pipefail", "-c", sh],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(run.code, 0, new TextDecoder().decode(run.stderr));
    const document = JSON.parse(new TextDecoder().decode(run.stdout));
    assertEquals(document.failures, []);
    const replayed = document.replayed.map((r: { RunID: string }) => r.RunID);
    const all = (await recordsOf(del)).map((r) => r.RunID);
    assert(replayed.length > 0, JSON.stringify(document).slice(0, 500));
    assertEquals(replayed, all.slice(all.length - replayed.length));
    assertEquals(await agentsOf(del), agents);
  } finally {
    await stopped(child);
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("flush with standard output on a full disk or its reader gone appends every record, says in one line how many it appended and how many stay spooled, and exits 0: it exited 2, naming none (spool-56 3)", async () => {
  const { root, del } = await makeProject();
  try {
    for (const [n, to] of [[60, ">/dev/full"], [40, "--json | head -c1 >/dev/null"]] as const) {
      const agents = spoolMany(del, n, 10_000);
      const sh = `${RUNREC_SH} flush '${del}' ${to}; exit \${PIPESTATUS[0]}`;
      const run = await new Deno.Command("bash", { args: ["-c", sh], stderr: "piped" }).output();
      const stderr = new TextDecoder().decode(run.stderr);
      assertEquals(run.code, 0, stderr);
      assert(
        stderr.includes(`standard output failed (`) &&
          stderr.includes(`): ${n} record(s) appended, 0 still spooled; exit 0 says`),
        stderr,
      );
      assertEquals(stderr.trim().split("\n").length, 1, stderr);
      assertEquals((await agentsOf(del)).slice(-n), agents);
      assertEquals(spoolNames(del), []);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("flush and flush --from fsync RunRecords.csv once for each 256 KiB batch, not once for each record; killed by SIGKILL at 20 random points of a replay of 200 records, then run again, each record is in the file once, in spool order (spool-56 4)", async () => {
  const { root, del } = await makeProject();
  const file = join(del, RECORD_FILE);
  let child: Deno.ChildProcess | undefined;
  try {
    // 120 records of 5 KB: three batches.
    const first = spoolMany(del, 120, 5_000);
    const { code, trace } = await traced("fsync,fdatasync", ["flush", del]);
    assertEquals(code, 0);
    const syncs = trace.filter((l) => l.includes(`<${file}>`)).length;
    console.log(`${syncs} fsyncs of RunRecords.csv for 120 records`);
    assert(syncs >= 1 && syncs <= 6, `${syncs} fsyncs of RunRecords.csv`);
    assertEquals(await agentsOf(del), first);
    // flush --from the same: 60 lost-record lines of 10 KB, three batches.
    const tmp = await tempDir();
    const saved = join(tmp, "lost.txt");
    const fromLines = await saveLostMany(del, saved, 60, 10_000);
    const from = await traced("fsync,fdatasync", ["flush", "--from", saved]);
    assertEquals(from.code, 0);
    const fromSyncs = from.trace.filter((l) => l.includes(`<${file}>`)).length;
    console.log(`${fromSyncs} fsyncs of RunRecords.csv for 60 lost-record lines`);
    assert(fromSyncs >= 1 && fromSyncs <= 5, `${fromSyncs} fsyncs of RunRecords.csv`);
    await Deno.remove(tmp, { recursive: true });
    const earlier = [...first, ...fromLines];
    assertEquals(await agentsOf(del), earlier);

    const agents = spoolMany(del, 200, 3_000);
    const random = seededRandom("flush killed at random points");
    let kills = 0;
    let found = 0;
    let claimsLeft = 0;
    for (let i = 0; kills < 20 && i < 80; i++) {
      const before = await wholeLines(del);
      child = new Deno.Command(RUNREC[0], {
        args: [...RUNREC.slice(1), "flush", del],
        stdin: "null",
        stdout: "piped",
        stderr: "null",
      }).spawn();
      const output = child.output();
      let ended = false;
      output.then(() => ended = true);
      // Once it appended 1-4 records, then up to 15 ms on: within an append, the batch's fsync,
      // its entries' removal, the pause between two batches. By records, not time: a loaded
      // machine slows the flush and the test alike.
      const target = before + 1 + Math.floor(random() * 4);
      while (!ended && await wholeLines(del) < target) await sleep(3);
      await sleep(random() * 15);
      await stopped(child);
      const run = await output;
      if (run.signal === "SIGKILL") kills++;
      claimsLeft += spoolNames(del).filter((name) => name.includes(".claim-")).length;
      found += new TextDecoder().decode(run.stdout).split("was already in its file").length - 1;
      // Drained before the 20th kill (a loaded machine lets a flush run on between the count and
      // the kill): more records, the next after the last, so that every kill finds a replay.
      if (ended && spoolNames(del).length === 0) {
        agents.push(...spoolMany(del, 100, 3_000, agents.length));
      }
    }
    const inBefore = await wholeLines(del) - earlier.length;
    console.log(`${kills} kills; ${inBefore} of ${agents.length} lines in before the last`);
    assert(kills >= 20, `${kills} kills`);
    const last = await runCliProcess(["flush", del]);
    assertEquals(last.code, 0, last.stderr);
    found += last.stdout.split("was already in its file").length - 1;
    // A killed run's claims: its records appended since its batch began (removed at its end),
    // and the one it was at; the run after takes each back, and appends only those not there.
    console.log(
      `${claimsLeft} claims left (counted after each kill); ${found} records found in the file by a ` +
        "run that ended",
    );
    assert(claimsLeft > 0, "no kill landed between a claim and its entry's removal");
    // A kill inside a write leaves a torn line (no record: its entry is replayed whole again).
    const lines = (await Deno.readTextFile(file)).split("\n").slice(1, -1);
    const whole = lines.filter(checksumMatches).map((l) => decodeRecord(l).AgentName);
    console.log(`${lines.length - whole.length} torn line(s)`);
    assertEquals(whole, [...earlier, ...agents]);
    assertEquals(spoolNames(del), []);
  } finally {
    await stopped(child);
    await Deno.remove(root, { recursive: true });
  }
});
