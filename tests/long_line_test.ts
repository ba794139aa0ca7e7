/**
 * A record file holding a 50 MB line of `%` escapes (issue 8, defect 14):
 * `validate`, `verify` and `log` report it in one line naming the file and
 * line, and their peak memory stays bounded, as real processes under the
 * production flags, measured by `/usr/bin/time`.
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { checksumOf, encodeRecord, splitCells } from "../src/codec.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { CLI_ENTRY } from "./support/cli_entry.ts";
import { COLUMNS, HEADER } from "../src/schema.ts";
import { sampleRecord, tempDir } from "./fixtures.ts";

/** Peak resident memory any of the commands may reach (a 50 MB line held twice would pass it). */
const PEAK_RSS_LIMIT_KB = 200 * 1024;

/** A record line whose Notes is `notes` (already escaped), with a valid checksum. */
function lineWithNotes(notes: string, seq: number): string {
  const record = sampleRecord({ RunID: `RUN-DEL-01-02-20260222-1015-00${seq}` });
  const cells = splitCells(encodeRecord(record)).slice(0, -1);
  cells[COLUMNS.indexOf("Notes")] = notes;
  const body = cells.join(",");
  return `${body},${checksumOf(body)}`;
}

/** Runs the CLI under `/usr/bin/time`, returning its exit code, output and peak RSS. */
async function runMeasured(args: string[]) {
  const output = await new Deno.Command("/usr/bin/time", {
    args: [
      "-f",
      "peak-rss-kb %M",
      Deno.execPath(),
      "run",
      ...FULL_FLAGS,
      CLI_ENTRY,
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  const peak = Number(/peak-rss-kb (\d+)\s*$/.exec(stderr)?.[1]);
  return {
    code: output.code,
    stdout: new TextDecoder().decode(output.stdout),
    stderr: stderr.replace(/peak-rss-kb \d+\s*$/, ""),
    peakKb: peak,
  };
}

Deno.test("long lines: a 50 MB line is a one-line error, a 12 MB field within the line limit a record, in bounded memory", async () => {
  const dir = await tempDir();
  const file = join(dir, "RunRecords.csv");
  const first = lineWithNotes("", 1);
  const last = lineWithNotes("", 4);
  // Line 3: 50 MB of escapes, over the line limit. Line 4: 12 MB, under it: a valid record
  // (a field is bounded only by the line, SCHEMA.md 6.5).
  const huge = lineWithNotes("%25".repeat(50_000_000 / 3), 2);
  const large = lineWithNotes("%25".repeat(4_000_000), 3);
  await Deno.writeTextFile(file, [HEADER, first, huge, large, last].join("\n") + "\n");

  const validate = await runMeasured(["validate", file]);
  assertEquals(validate.code, 1, validate.stderr);
  const problems = validate.stdout.split("\n").filter((l) => l.startsWith(`${file}:`));
  assertEquals(problems.length, 2, validate.stdout);
  assertMatch(problems[0], /:3: .*longer than 16 MiB/);
  assertMatch(validate.stdout, /3 records, 1 error/);

  const verify = await runMeasured(["verify", file]);
  assertEquals(verify.code, 1, verify.stderr);
  assertMatch(verify.stdout, /:3: .*longer than 16 MiB/);

  // log holds each record it prints several times over: its file holds only the 50 MB line.
  const logged = join(dir, "Logged.csv");
  await Deno.writeTextFile(logged, [HEADER, first, huge, last].join("\n") + "\n");
  const log = await runMeasured(["log", logged, "--format", "csv"]);
  assertEquals(log.code, 0, log.stderr);
  assertEquals(log.stdout, [HEADER, first, last].join("\n") + "\n");
  assertMatch(log.stderr, new RegExp(`warning: ${logged}:3: .*longer than 16 MiB`));

  for (const run of [validate, verify, log]) {
    assert(!/Fatal|heap|\n\s+at /.test(run.stderr), run.stderr);
    console.log(`peak RSS ${run.peakKb} KB`);
    assert(run.peakKb > 0 && run.peakKb < PEAK_RSS_LIMIT_KB, `peak RSS ${run.peakKb} KB`);
  }
  await Deno.remove(dir, { recursive: true });
});
