/**
 * Items stop 53 left on flush, messages and supersedes: `flush --from` read a line at a time in
 * bounded memory (peak RSS measured by `/usr/bin/time`), a refused journal line in
 * `flush --from --json` given the shape `flush --json` gives it, warnings that named a C1 control
 * raw, supersede cycles through a record a put-back renumbered, git remedies that page, and
 * `log --format md`'s controls. Real processes, real git repositories, real faults.
 *
 * ```sh
 * deno test -A tests/leftovers54_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { makeProject, sampleDraft, tempDir } from "./fixtures.ts";
import { recordsOf } from "./support/runs.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { CLI_ENTRY } from "./support/cli_entry.ts";
import { lostRecordLine, newSpoolEntry } from "../src/spool.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { git } from "./fixtures.ts";
import { agentEmitArgs, DEL, JOURNAL, unionProject } from "./support/journal_lost.ts";

/**
 * Runs the CLI under `/usr/bin/time` with `stdin` (a file's path) piped in when given: its exit
 * code, output and peak resident memory.
 */
async function runMeasured(args: string[], stdin?: string) {
  const child = new Deno.Command("/usr/bin/time", {
    args: ["-f", "peak-rss-kb %M", Deno.execPath(), "run", ...FULL_FLAGS, CLI_ENTRY, ...args],
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  if (stdin !== undefined) await (await Deno.open(stdin)).readable.pipeTo(child.stdin);
  const output = await child.output();
  const stderr = new TextDecoder().decode(output.stderr);
  return {
    code: output.code,
    stdout: new TextDecoder().decode(output.stdout),
    // time's own lines: its measure, and the exit status when not 0.
    stderr: stderr.replace(/(Command exited with non-zero status \d+\n)?peak-rss-kb \d+\s*$/, ""),
    peakKb: Number(/peak-rss-kb (\d+)\s*$/.exec(stderr)?.[1]),
  };
}

/**
 * Writes `pieces` to `path` in turn: a string, or `fill` bytes of filler lines `width` bytes long
 * with their `\n` (a `width` of 0: one line, not ended).
 */
async function writeLines(path: string, pieces: (string | { fill: number; width: number })[]) {
  using file = await Deno.open(path, { write: true, create: true, truncate: true });
  const writer = file.writable.getWriter();
  const encoder = new TextEncoder();
  for (const piece of pieces) {
    if (typeof piece === "string") {
      await writer.write(encoder.encode(piece));
      continue;
    }
    // A MiB at a time: the test itself holds no more of it.
    const block = encoder.encode(
      piece.width === 0
        ? "o".repeat(1 << 20)
        : `${"o".repeat(piece.width - 1)}\n`.repeat(Math.floor((1 << 20) / piece.width)),
    );
    for (let left = piece.fill; left > 0; left -= block.length) {
      await writer.write(left >= block.length ? block : block.subarray(0, left));
    }
  }
  await writer.close();
}

Deno.test("flush --from FILE and --from - read a line at a time: 50 MB of other output costs no more memory than an empty input, a 52 MB line no more than one line of the limit; the lost records are appended once, the long line refused by its number (leftovers-54 1)", async () => {
  const { root, del } = await makeProject();
  const tmp = await tempDir();
  try {
    const file = join(del, RECORD_FILE);
    const lost = (agent: string) =>
      `${lostRecordLine(newSpoolEntry(file, sampleDraft({ AgentName: agent }), "ENOSPC"))}\n`;
    // An orchestrator's log: agent output with lost-record lines among it.
    const saved = join(tmp, "orchestrator.log");
    await writeLines(saved, [lost("FIRST"), { fill: 50_000_000, width: 100 }, lost("SECOND")]);
    // A line over the limit that begins as a lost-record line would (line 2).
    const long = join(tmp, "long.log");
    await writeLines(long, [
      "runrec: lost-record: {",
      { fill: 52_000_000, width: 0 },
      `\n${lost("THIRD")}`,
    ]);
    const empty = join(tmp, "empty.txt");
    await Deno.writeTextFile(empty, "");
    const base = await runMeasured(["flush", "--from", empty]);
    assertEquals(base.code, 0, base.stderr);

    const fromFile = await runMeasured(["flush", "--from", saved]);
    assertEquals(fromFile.code, 0, fromFile.stderr);
    assertEquals((await recordsOf(del)).map((r) => r.AgentName), ["FIRST", "SECOND"]);
    const fromStdin = await runMeasured(["flush", "--from", "-"], saved);
    assertEquals(fromStdin.code, 0, fromStdin.stderr);
    assertEquals(fromStdin.stdout.match(/is already in its file; nothing appended/g)?.length, 2);
    for (const run of [fromFile, fromStdin]) {
      console.log(`peak RSS ${run.peakKb} KB (an empty input: ${base.peakKb} KB)`);
      // Read whole, the 50 MB took 100-150 MB more; a line at a time, a chunk and a line.
      assert(run.peakKb > 0 && run.peakKb < base.peakKb + 30 * 1024, `peak ${run.peakKb} KB`);
    }

    const longOne = await runMeasured(["flush", "--from", long]);
    assertEquals(longOne.code, 1, longOne.stderr);
    assertEquals(
      longOne.stderr,
      `runrec: warning: ${long}:1: not a lost record: longer than 49 MiB, more than any ` +
        "lost-record line runrec writes (a record's line holds 16 MiB at most, SCHEMA.md 6.5); " +
        "not read\n",
    );
    assertEquals((await recordsOf(del)).map((r) => r.AgentName), ["FIRST", "SECOND", "THIRD"]);
    console.log(`peak RSS ${longOne.peakKb} KB with the 52 MB line`);
    // At most the limit's 49 MiB of it are held before it is known to be longer.
    assert(longOne.peakKb < base.peakKb + 49 * 1024 + 30 * 1024, `peak ${longOne.peakKb} KB`);
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("flush --from <journal> --json gives a line it does not put back here (another branch's) in journalOnly, with its branch and command, as flush --json of the folder does; failures keep its text (leftovers-54 2)", async () => {
  const { root, run } = await unionProject();
  await git(root, "checkout", "-q", "old"); // old has no RunRecords.csv
  const lost = (await run(...agentEmitArgs("OLD_RUN"))).stdout.trim();
  await git(root, "checkout", "-f", "-q", "main"); // git discards old's untracked file
  await git(root, "checkout", "-q", "old");
  assertEquals((await run(...agentEmitArgs("OLD_NEXT"))).code, 0); // a file of old's own
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "old's record file");
  await git(root, "checkout", "-q", "main");
  const folder = await run("flush", DEL, "--json");
  assertEquals(folder.code, 1, folder.stderr);
  const named = JSON.parse(folder.stdout).journalOnly;
  assertEquals(named.map((l: { runId: string; branch: string }) => [l.runId, l.branch]), [
    [lost, "old"],
  ]);
  const from = await run("flush", "--from", JOURNAL, "--json");
  assertEquals(from.code, 1, from.stderr);
  const json = JSON.parse(from.stdout);
  // Was: [], the line in failures as text alone.
  assertEquals(json.journalOnly, named);
  assertEquals(json.failures.length, 1, json.failures);
  assert(json.failures[0].includes(`not put back here: ${lost} is in no file`), json.failures[0]);
  assertEquals(Object.keys(json), Object.keys(JSON.parse(folder.stdout)));
});
