/**
 * `ChecksumSet` (src/checksum_set.ts), the bytes-held set of RecordChecksums
 * `firstCopies` passes each record once by (mem-38 F1): it answers as a set
 * of strings would, through its growths, for checksums that share their first
 * word (one hash slot) and for checksums cut short (kept as text).
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-env --allow-sys --allow-run --deny-net tests/checksum_set_test.ts
 * ```
 *
 * @module
 */
import { ChecksumSet } from "../src/checksum_set.ts";
import { assertEquals } from "./assert.ts";
import { seededRandom } from "./seed.ts";

Deno.test("checksum set: answers as a set of strings for 20,000 checksums drawn with repeats, many sharing their first word, and some cut short (seeded; mem-38 F1)", () => {
  const random = seededRandom("checksum set");
  const hex = (n: number) =>
    Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join("");
  const drawn: string[] = [];
  for (let i = 0; i < 20_000; i++) {
    const r = random();
    if (r < 0.2 && drawn.length > 0) drawn.push(drawn[Math.floor(random() * drawn.length)]);
    else if (r < 0.4) drawn.push(`0000abcd${hex(56)}`); // one slot for all of them
    else if (r < 0.45) drawn.push(hex(16)); // not a whole checksum
    else drawn.push(hex(64));
  }
  const strings = new Set<string>();
  const bytes = new ChecksumSet();
  for (const checksum of drawn) {
    const isNew = !strings.has(checksum);
    strings.add(checksum);
    assertEquals(bytes.add(checksum), isNew, checksum);
  }
});
