/**
 * `mayName` (src/named_lines.ts) never says "not there" of a run or spool
 * entry a record file names, wherever the name falls against the 1 MiB
 * chunks it reads, in a file read on after appends or read afresh after a
 * rewrite: a wrong "not there" would append a replayed record twice
 * (scale37 F1).
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-env tests/named_lines_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { mayName, readNamedLines } from "../src/named_lines.ts";
import { assert, assertEquals } from "./assert.ts";
import { tempDir } from "./fixtures.ts";
import { seededRandom } from "./seed.ts";

/** A run's id, as `newRunId` makes them. */
function runId(random: () => number): string {
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 10)).join("");
  const hex = Array.from({ length: 8 }, () => "0123456789abcdef"[Math.floor(random() * 16)]);
  return `${digits(8)}T${digits(9)}Z-${hex.join("")}`;
}

/** A spool entry's id, as `newSpoolEntry` makes them. */
function entryId(random: () => number): string {
  return `${Math.floor(random() * 1e13)}-${Math.floor(random() * 1e5)}-0001-${
    Math.floor(random() * 0xffffffff).toString(16).padStart(8, "0")
  }`;
}

/** Lines of filler around names, some over 1 MiB, so that names fall on every side of a chunk. */
function lines(random: () => number, names: string[], count: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const long = random() < 0.1 ? 1 + Math.floor(random() * 1_200_000) : Math.floor(random() * 300);
    const name = names[i % names.length]; // each name at least once
    const before = "x".repeat(Math.floor(random() * long));
    return `v1.0,${before}${name} | ${"y".repeat(long - before.length)}`;
  });
}

Deno.test("mayName: every run and spool entry a file names is 'may be there', across chunk edges, after appends read on, and after a rewrite read afresh (scale37 F1)", async () => {
  const random = seededRandom("mayName");
  const file = join(await tempDir(), "RunRecords.csv");
  const named = Array.from(
    { length: 40 },
    (_, i) => i % 2 === 0 ? `run ${runId(random)}` : `replayed from spool entry ${entryId(random)}`,
  );
  const first = named.slice(0, 20);
  const later = named.slice(20);
  await Deno.writeTextFile(file, `${lines(random, first, 60).join("\n")}\n`);
  readNamedLines(file);
  for (const name of first) assert(mayName(file, name), `${name}: said not there`);
  // Appended to: read on from where the last look ended, a last line without its `\n` too.
  await Deno.writeTextFile(file, lines(random, later, 30).join("\n"), { append: true });
  for (const name of named) assert(mayName(file, name), `${name}: said not there after appends`);
  // Rewritten in place, as long: read afresh, the names it no longer holds gone.
  const rewritten = `${lines(random, later, 90).join("\n")}\n`;
  using handle = await Deno.open(file, { write: true });
  await handle.write(new TextEncoder().encode(rewritten));
  await handle.truncate(rewritten.length);
  for (const name of later) assert(mayName(file, name), `${name}: said not there after a rewrite`);
  const gone = first.filter((name) => !rewritten.includes(name));
  assertEquals(gone.filter((name) => mayName(file, name)), []);
  assertEquals(mayName(file, `run ${runId(random)}`), false);
  assertEquals(mayName(file, "run 2026"), undefined); // no id of a run's shape: not kept
});

Deno.test("mayName: a name that starts at any of the 200 bytes before a 1 MiB chunk's end, or across it, is 'may be there' (scale37 F1)", async () => {
  const random = seededRandom("mayName at a chunk's end");
  const dir = await tempDir();
  const name = `run ${runId(random)}`;
  for (let before = 0; before <= 200; before++) {
    const file = join(dir, `RunRecords-${before}.csv`);
    const at = (1 << 20) - before; // the name's first byte
    await Deno.writeTextFile(file, `v1.0,${"x".repeat(at - 5)}${name} | done\nv1.0,next\n`);
    assert(mayName(file, name), `${name} at ${at}: said not there`);
  }
});
