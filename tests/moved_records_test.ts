/**
 * Telling a record file by its records (`src/moved_records.ts`) and the
 * index of the files a moved one may have gone to (`src/record_candidates.ts`):
 * a restart from a rewrite, a first record read from a file's first bytes,
 * a FIFO never opened.
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-run tests/moved_records_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { holdsRecords, recordsOf, restarts } from "../src/moved_records.ts";
import { RecordCandidates } from "../src/record_candidates.ts";
import { assertEquals } from "./assert.ts";
import { tempDir } from "./fixtures.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const run = (n: number, id = "DEL-01-03", agent = "A") =>
  `v1.0,RUN-${id}-20261001-0001-${String(n).padStart(3, "0")},${id},${agent}\n`;
const file = (...lines: string[]) => bytes(`SchemaVersion,RunID,DeliverableID\n${lines.join("")}`);

Deno.test("restarts: a file keeping none of the earlier records (a RunID reused by a new run too) or naming another DeliverableID first is new; one keeping any record is a rewrite", () => {
  const earlier = file(run(1), run(2), run(3));
  assertEquals(restarts(earlier, file(run(9))), true);
  assertEquals(restarts(earlier, file()), true); // the header alone
  assertEquals(restarts(earlier, file(run(1, "DEL-01-03", "NEW"))), true); // RunID 001 reused
  assertEquals(restarts(earlier, file(run(1, "DEL-01-07"), run(2))), true);
  assertEquals(restarts(earlier, file(run(2), run(3))), false); // record 1 dropped: a rewrite
  assertEquals(restarts(earlier, file(run(1), run(3), run(9))), false);
  assertEquals(
    restarts(earlier, bytes(new TextDecoder().decode(earlier).replaceAll("\n", "\r\n"))),
    false,
  );
  assertEquals(restarts(file(), file(run(1))), false); // nothing there to replace
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

Deno.test("RecordCandidates: keyed by the first record read from a file's first bytes (a large one in chunks), each file given to one look-up, a FIFO never opened", async () => {
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
  const paths = ["a", "b", "c", "d"].map((folder) => ({
    path: `${folder}/RunRecords.csv`,
    told: false,
  }));
  const index = await RecordCandidates.index(paths, top); // would block on d's FIFO if opened
  const earlier = recordsOf(file(run(1), run(2), run(3)));
  const found = await index.holding(earlier);
  assertEquals(found.map((c) => c.path), ["a/RunRecords.csv", "b/RunRecords.csv"]);
  index.take("a/RunRecords.csv");
  assertEquals((await index.holding(earlier)).map((c) => c.path), ["b/RunRecords.csv"]);
  assertEquals((await index.holding(recordsOf(file(run(1, "DEL-01-07"))))).length, 1);
  await Deno.remove(top, { recursive: true });
});
