/**
 * `runrec log` and `runrec export --format openlineage` list records they no
 * longer hold (mem-38 F1, F2): they keep where each record is and read it again
 * when its turn comes. Their output is the one of the code that held every
 * record, byte for byte
 * (tests/fixtures/log_stream.json was written by that code, on the history of
 * tests/support/log_history.ts made from seed 38), and the records come back
 * in the order a sort of them all gives, however few reads and held records
 * the reading is allowed (seeded).
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-env --allow-sys --allow-run --deny-net tests/log_stream_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { Listing, recordsInOrder } from "../src/cli/log_listing.ts";
import { firstCopies, type LineRecord, readRecords } from "../src/reader.ts";
import { checksumOf, encodeRecord, splitCells } from "../src/codec.ts";
import { HEADER, runIdPrefix } from "../src/schema.ts";
import { parseInstant } from "../src/time.ts";
import { assert, assertEquals, assertMatch, assertRejects } from "./assert.ts";
import { provDocumentStreamed } from "../src/export/prov.ts";
import { streamRuns } from "../src/export/streamed_runs.ts";
import { InputError } from "../src/errors.ts";
import { runCliProcess } from "./cli.ts";
import { ROOT, sampleRecord, tempDir } from "./fixtures.ts";
import { fixedRandom, seededRandom } from "./seed.ts";
import { LOG_HISTORY_FILES, writeLogHistory } from "./support/log_history.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";

/** The seed and size the golden outputs were made with. */
const GOLDEN_SEED = 38;
const GOLDEN_RUNS = 8;

interface Golden {
  args: string[];
  code: number;
  stdout: string;
  stderr: string;
}

/** What the golden file keeps of an output: itself, or its SHA-256 when longer than 8 KiB. */
async function kept(output: string): Promise<string> {
  if (output.length <= 8192) return output;
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(output));
  return `sha256:${
    Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("")
  }`;
}

Deno.test("log and export streamed: every format of log (--by time and path, filters, -n) and export (openlineage, prov) of a root whose files interleave in time, with union-merged records out of order, a repeated line, a RunID collision, a copy and annotations, byte for byte as when every record was held (mem-38 F1, F2)", async () => {
  console.log(`history: seed ${GOLDEN_SEED} (fixed: the golden outputs were made from it)`);
  const root = await tempDir({ prefix: "runrec-logstream-" });
  await writeLogHistory(root, fixedRandom(GOLDEN_SEED), GOLDEN_RUNS);
  const golden = JSON.parse(
    await Deno.readTextFile(join(ROOT, "tests", "fixtures", "log_stream.json")),
  ) as Golden[];
  // Paths are relative to the working folder, the root; an absolute one (execution roots) shows
  // the root as <root>.
  const shown = (text: string) => text.replaceAll(Deno.realPathSync(root), "<root>");
  for (const expected of golden) {
    const got = await runCliProcess(expected.args, FULL_FLAGS, {}, root);
    assertEquals(
      {
        args: expected.args,
        code: got.code,
        stdout: await kept(shown(got.stdout)),
        stderr: shown(got.stderr),
      },
      expected,
      `runrec ${expected.args.join(" ")}`,
    );
  }
});

/** A record's place, as the listing has it: its file, its line. */
type At = [file: number, line: number];

/** The places of every first copy of `files`, sorted as log did with every record held. */
async function sortedWhole(files: string[], byTime: boolean): Promise<At[]> {
  const all: { at: At; time: number }[] = [];
  for (const [file, path] of files.entries()) {
    const firstCopy = firstCopies();
    for await (const event of readRecords(path)) {
      if (event.kind !== "record" || !firstCopy(event.record)) continue;
      const time = parseInstant(event.record.RunTimestamp) ?? Infinity;
      all.push({ at: [file, event.line], time });
    }
  }
  // Array.prototype.sort is stable: ties keep file order.
  if (byTime) all.sort((a, b) => a.time === b.time ? 0 : a.time < b.time ? -1 : 1);
  return all.map(({ at }) => at);
}

Deno.test("log streamed: records come back in listing order however few reads of a file and records held the reading is allowed, and -n keeps the same last ones (seeded; mem-38 F1)", async () => {
  const random = seededRandom("log stream order");
  for (let round = 0; round < 6; round++) {
    const root = await tempDir({ prefix: "runrec-logorder-" });
    await writeLogHistory(root, random, 5 + Math.floor(random() * 40));
    const files = LOG_HISTORY_FILES.map((f) => join(root, f));
    for (const order of ["time", "path"] as const) {
      const whole = await sortedWhole(files, order === "time");
      for (const limit of [undefined, 1 + Math.floor(random() * whole.length)]) {
        const listing = new Listing(order, limit);
        for (const [file, path] of files.entries()) {
          const firstCopy = firstCopies();
          for await (const event of readRecords(path)) {
            if (event.kind !== "record" || !firstCopy(event.record)) continue;
            listing.add(file, event);
          }
        }
        const expected = limit === undefined ? whole : whole.slice(-limit);
        const places = listing.places();
        // One or two files open at once: reads close theirs and go on later (review-39 F3).
        for (
          const limits of [
            { held: 1, readsPerFile: 1, openFiles: 1 },
            { held: 3, readsPerFile: 2, openFiles: 2 },
            { held: 1, readsPerFile: 4, openFiles: 64 },
            undefined,
          ]
        ) {
          const got: At[] = [];
          for await (const r of recordsInOrder(files, places, limits)) {
            got.push([files.indexOf(r.file), r.line]);
          }
          assertEquals(
            got,
            expected,
            `round ${round}, ${order}, -n ${limit}, ${JSON.stringify(limits)}`,
          );
        }
      }
    }
  }
});

/** A record line of `version` started `minutes` past 2026-01-01: v1.0's cells, then `added`. */
function versionedLine(version: string, minutes: number, added: string[]): string {
  const at = new Date(Date.parse("2026-01-01T00:00:00Z") + minutes * 60_000).toISOString();
  const v10 = encodeRecord(
    sampleRecord({ RunID: `${runIdPrefix("DEL-01-02", at)}001`, RunTimestamp: at }),
  );
  const body = [version, ...splitCells(v10).slice(1, -1), ...added].join(",");
  return `${body},${checksumOf(body)}`;
}

Deno.test("log streamed: a record file in reverse time order, some of it under a v1.1 header, is read in stretches, each read starting at the first record it holds (by offset): every record comes back as a whole read gives it, its header and added cells too (mem-39 F3)", async () => {
  const root = await tempDir({ prefix: "runrec-logreverse-" });
  const file = join(root, "RunRecords.csv");
  const v11Header = HEADER.replace(",RecordChecksum", ",ReviewedBy,RecordChecksum");
  const minutes = Array.from({ length: 30 }, (_, i) => 30 - i); // latest first
  const lines = [
    HEADER,
    ...minutes.slice(0, 10).map((m) => versionedLine("v1.0", m, [])),
    v11Header,
    ...minutes.slice(10, 20).map((m) => versionedLine("v1.1", m, [`reviewer ${m}`])),
    HEADER,
    ...minutes.slice(20).map((m) => versionedLine("v1.0", m, [])),
  ];
  await Deno.writeTextFile(file, `${lines.join("\n")}\n`);
  const shown = (r: LineRecord) => [r.line, r.record.RunID, r.header, r.unknownCells];
  const whole: LineRecord[] = [];
  for await (const event of readRecords(file)) if (event.kind === "record") whole.push(event);
  assertEquals(whole.filter((r) => r.header !== undefined).length, 10, "v1.1's records");
  const listing = new Listing("time", undefined);
  for (const record of whole) listing.add(0, record);
  for (const limits of [{ held: 1, readsPerFile: 1 }, { held: 4, readsPerFile: 1 }, undefined]) {
    const got = await Array.fromAsync(recordsInOrder([file], listing.places(), limits));
    assertEquals(got.map(shown), whole.toReversed().map(shown), JSON.stringify(limits));
  }
});

Deno.test("log streamed: a record file replaced between the listing's read and the records' (another record at a listed line) stops with one line naming the file and line, not another record listed (mem-38 F1)", async () => {
  const root = await tempDir({ prefix: "runrec-logreplaced-" });
  await writeLogHistory(root, fixedRandom(GOLDEN_SEED), GOLDEN_RUNS);
  const file = join(root, LOG_HISTORY_FILES[1]);
  const listing = new Listing("time", undefined);
  for await (const event of readRecords(file)) {
    if (event.kind === "record") listing.add(0, event);
  }
  // A rewrite (a checkout, a rebase): line 3 now holds line 2's record.
  const lines = (await Deno.readTextFile(file)).split("\n");
  lines[2] = lines[1];
  await Deno.writeTextFile(file, lines.join("\n"));
  await assertRejects(
    () => Array.fromAsync(recordsInOrder([file], listing.places())),
    InputError,
    `${file}:3: no longer holds the record listed (the file was replaced while it was read)`,
  );
});

Deno.test("export prov streamed: a record file replaced between the first read and the activities' (read again by offset, by id) stops with one InputError naming the file and a line, never another run's activity (mem-38 F2)", async () => {
  const root = await tempDir({ prefix: "runrec-provreplaced-" });
  await writeLogHistory(root, fixedRandom(GOLDEN_SEED), GOLDEN_RUNS);
  const file = join(root, LOG_HISTORY_FILES[1]);
  const streamed = await streamRuns([file], { warn: () => {}, unreadable: () => {} });
  const text = provDocumentStreamed(streamed);
  // The first piece comes after the first pass, which placed every run.
  assertEquals((await text.next()).value, "{");
  // A rewrite (a checkout, a rebase): line 3 now holds line 2's record, and the lines after move.
  const lines = (await Deno.readTextFile(file)).split("\n");
  lines[2] = lines[1];
  await Deno.writeTextFile(file, lines.join("\n"));
  const error = await Array.fromAsync(text).then(() => undefined, (e) => e);
  assert(error instanceof InputError, String(error));
  assertMatch(
    error.message,
    new RegExp(`^${RegExp.escape(file)}:\\d+: no longer holds the record listed \\(the file was`),
  );
});
