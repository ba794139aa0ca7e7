/**
 * Telling a record file by its records (`src/moved_records.ts`) and the
 * index of the files a moved one may have gone to (`src/record_candidates.ts`):
 * a restart from a rewrite, a first record read from a file's first bytes
 * (in linear time, up to the line limit), a FIFO never opened.
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-run tests/moved_records_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { holdsRecords, recordsOf, restartInLastMinute, restarts } from "../src/moved_records.ts";
import { RecordCandidates } from "../src/record_candidates.ts";
import { LINE_LIMIT_BYTES } from "../src/schema.ts";
import { assertEquals } from "./assert.ts";
import { tempDir } from "./fixtures.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
/** Run `n` (its SEQ), started `second` seconds into minute 00:01. */
const run = (n: number, id = "DEL-01-03", agent = "A", second = n) =>
  `v1.0,RUN-${id}-20261001-0001-${String(n).padStart(3, "0")},${id},${agent},TYPE_2,` +
  `2026-10-01T00:01:${String(second).padStart(2, "0")}.000Z\n`;
const RUN_1 = "RUN-DEL-01-03-20261001-0001-001";
const file = (...lines: string[]) =>
  bytes(`SchemaVersion,RunID,DeliverableID,AgentName,AgentType,RunTimestamp\n${lines.join("")}`);

Deno.test("restarts: a file whose first run is 001 and none of whose records reuses a RunID of the earlier version is new; one that reuses one (kept, edited in place, or moved later in its minute) or begins otherwise is a rewrite (review-o F1)", () => {
  const earlier = file(run(1), run(2), run(3));
  const nextMinute = run(1).replace("-0001-001", "-0002-001").replace("00:01:01", "00:02:00");
  assertEquals(restarts(earlier, file(nextMinute, run(9))), true);
  // A new file's first run is 001: one that begins otherwise (renumbered) was not begun.
  assertEquals(restarts(earlier, file(run(9))), false);
  assertEquals(restarts(earlier, file(run(101), run(102), run(103))), false); // review-m F1
  assertEquals(restarts(earlier, file()), true); // the header alone
  assertEquals(restarts(earlier, file(run(1, "DEL-01-07"))), true); // another deliverable
  // A RunID of the earlier version, whatever its time: a new run in the minute of the runs
  // retired cannot be told from one of them moved later in that minute (review-o F1).
  assertEquals(restarts(earlier, file(run(1, "DEL-01-03", "NEW", 30))), false);
  assertEquals(
    restarts(earlier, file(run(1, "DEL-01-03", "A", 59), run(2, "DEL-01-03", "A", 59))),
    false,
  );
  assertEquals(restarts(earlier, file(run(3, "DEL-01-03", "NEW", 4))), false); // not 001
  assertEquals(restarts(earlier, file(run(2), run(3))), false); // record 1 dropped: a rewrite
  assertEquals(restarts(earlier, file(run(1), run(3), run(9))), false);
  assertEquals(
    restarts(earlier, bytes(new TextDecoder().decode(earlier).replaceAll("\n", "\r\n"))),
    false,
  );
  // Every record edited in place, RunIDs and RunTimestamps kept (review-l F1).
  assertEquals(restarts(earlier, file(run(1, "DEL-01-03", "B"), run(2, "DEL-01-03", "B"))), false);
  assertEquals(restarts(earlier, file(run(1, "DEL-01-07"), run(2))), false); // another first
  assertEquals(restarts(file(), file(run(1))), false); // nothing there to replace
});

Deno.test("restartInLastMinute: the RunID a file begun at 001 reuses, when every one it reuses is of the earlier version's last minute; none for another minute, no reuse, or another first run", () => {
  const earlier = file(run(1), run(2), run(3));
  assertEquals(restartInLastMinute(earlier, file(run(1, "DEL-01-03", "NEW", 30))), RUN_1);
  // Each record moved later in its minute (review-o F1): the same hint, the same failure.
  assertEquals(restartInLastMinute(earlier, file(run(1, "DEL-01-03", "A", 59))), RUN_1);
  const earlierMinute = run(1).replace("-0001-001", "-0000-001").replace("00:01:01", "00:00:01");
  const twoMinutes = file(earlierMinute, run(1));
  assertEquals(restartInLastMinute(twoMinutes, file(earlierMinute)), undefined);
  const nextMinute = run(1).replace("-0001-001", "-0002-001").replace("00:01:01", "00:02:00");
  assertEquals(restartInLastMinute(earlier, file(nextMinute)), undefined); // a restart
  assertEquals(restartInLastMinute(earlier, file(run(2))), undefined); // not 001
  // Begins with the earlier first record: a rewrite further on, not a file begun anew.
  assertEquals(restartInLastMinute(earlier, file(run(1), run(2, "DEL-01-03", "B"))), undefined);
  assertEquals(restartInLastMinute(file(), file(run(1))), undefined);
});

Deno.test("holdsRecords: the first record's DeliverableID and at least half of the RunIDs", () => {
  const earlier = recordsOf(file(run(1), run(2), run(3), run(4)));
  assertEquals(holdsRecords(earlier, recordsOf(file(run(1), run(2), run(9)))), true);
  assertEquals(holdsRecords(earlier, recordsOf(file(run(1), run(9)))), false);
  assertEquals(holdsRecords(earlier, recordsOf(file(run(1, "DEL-01-07"), run(1), run(2)))), false);
  // A damaged first record names no DeliverableID: the file holds nothing to tell it by.
  const damaged = recordsOf(file(run(1).replace(",DEL-01-03,", ",DEL-X,"), run(2)));
  assertEquals(damaged.deliverableId, undefined);
  assertEquals(holdsRecords(damaged, recordsOf(file(run(1), run(2)))), false);
});

Deno.test("RecordCandidates: keyed by the first record read from a file's first bytes (a large one in chunks), each file given to one look-up, a staged rename's target only to the file renamed, a FIFO never opened", async () => {
  const top = await tempDir({ prefix: "runrec-candidates-" });
  const write = async (path: string, content: Uint8Array) => {
    await Deno.mkdir(join(top, path, ".."), { recursive: true });
    await Deno.writeFile(join(top, path), content);
  };
  // A large file: its first record is found in its first chunk, its others 200 KB on.
  const notes = "x".repeat(100_000);
  await write(
    "a/RunRecords.csv",
    file(run(1), run(2, "DEL-01-03", notes), run(3, "DEL-01-03", notes)),
  );
  await write("b/RunRecords.csv", file(run(1), run(2), run(3)));
  await write("c/RunRecords.csv", file(run(1, "DEL-01-07"), run(2, "DEL-01-07")));
  await Deno.mkdir(join(top, "d"));
  await new Deno.Command("mkfifo", { args: [join(top, "d", "RunRecords.csv")] }).output();
  // A first record longer than the head kept of it, across the first chunk's end (4 KiB).
  const header = "h".repeat(4096 - 21);
  await write(
    "e/RunRecords.csv",
    bytes(`${header}\n${run(1, "DEL-01-03", notes)}${run(2)}${run(3)}`),
  );
  await write("f/RunRecords.csv", file(run(1), run(2), run(3))); // git mv'd there from x/
  const paths = ["a", "b", "c", "d", "e", "f"].map((folder) => ({
    path: `${folder}/RunRecords.csv`,
    told: folder === "f",
    renamedFrom: folder === "f" ? "x/RunRecords.csv" : undefined,
  }));
  const index = await RecordCandidates.index(paths, top); // would block on d's FIFO if opened
  const earlier = recordsOf(file(run(1), run(2), run(3)));
  const found = await index.holding(earlier, "y/RunRecords.csv");
  assertEquals(found.map((c) => c.path), [
    "a/RunRecords.csv",
    "b/RunRecords.csv",
    "e/RunRecords.csv",
  ]);
  index.take("a/RunRecords.csv");
  assertEquals(
    (await index.holding(earlier, "x/RunRecords.csv")).map((c) => c.path),
    ["b/RunRecords.csv", "e/RunRecords.csv", "f/RunRecords.csv"],
  );
  const other = recordsOf(file(run(1, "DEL-01-07")));
  assertEquals((await index.holding(other, "y/RunRecords.csv")).length, 1);
  await Deno.remove(top, { recursive: true });
});

Deno.test("RecordCandidates: a line longer than a record may be (16 MiB) ends the search for a first record, and a line just within it is read in linear time", async () => {
  const top = await tempDir({ prefix: "runrec-candidates-" });
  const runs = `${run(1)}${run(2)}${run(3)}`;
  for (const [folder, length] of [["a", LINE_LIMIT_BYTES], ["b", LINE_LIMIT_BYTES + 1]] as const) {
    await Deno.mkdir(join(top, folder));
    await Deno.writeFile(
      join(top, folder, "RunRecords.csv"),
      bytes(`${"h".repeat(length)}\n${runs}`),
    );
  }
  const paths = ["a", "b"].map((folder) => ({ path: `${folder}/RunRecords.csv`, told: false }));
  const started = performance.now();
  const index = await RecordCandidates.index(paths, top);
  // Far above a linear read of 32 MiB, far below the quadratic re-split it replaced.
  const seconds = (performance.now() - started) / 1000;
  assertEquals(seconds < 10, true, `${seconds} s`);
  const earlier = recordsOf(file(run(1), run(2), run(3)));
  const found = await index.holding(earlier, "y/RunRecords.csv");
  assertEquals(found.map((c) => c.path), ["a/RunRecords.csv"]);
  await Deno.remove(top, { recursive: true });
});
