/**
 * Seeded, mutation-based fuzzing of every reader of untrusted text: the
 * record reader (`checkJob`, what `validate` runs on each block of lines),
 * the codec (`splitCells`, `decodeRecord`, `unescapeValue`,
 * `checksumMatches`), and the `_REFERENCES.md`, `_STATUS.md` and
 * `_CONTEXT.md` readers. Each input is a valid one mutated a few times (bytes
 * flipped, inserted from a list of troublemakers, cut, repeated, spliced with
 * another). Promises: no exception but the documented ones, no input taking
 * more than a second, memory bounded, and a record that decodes with a right
 * checksum encodes back to the very same line.
 *
 * `deno task test` runs `RUNREC_FUZZ_RUNS` inputs in all (default 15,000);
 * the long run is `RUNREC_FUZZ_RUNS=100000 deno test -A tests/fuzz_test.ts`.
 * Replay a failure with the printed `RUNREC_TEST_SEED`.
 *
 * @module
 */
import { join } from "node:path";
import { cpuUsage } from "node:process";
import { assert, assertEquals } from "./assert.ts";
import {
  checksumMatches,
  DecodeError,
  decodeRecord,
  encodeRecord,
  splitCells,
  unescapeValue,
} from "../src/codec.ts";
import { deliverableId } from "../src/deliverable.ts";
import { InputError } from "../src/errors.ts";
import { checkJob } from "../src/reader.ts";
import { parseReferences } from "../src/references.ts";
import { HEADER } from "../src/schema.ts";
import { parseLifecycleState } from "../src/status.ts";
import { sampleRecord, tempDir } from "./fixtures.ts";
import { seededRandom } from "./seed.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Inputs in all, shared out among the targets. */
const RUNS = Number(Deno.env.get("RUNREC_FUZZ_RUNS") ?? 15_000);
/**
 * The most CPU time any one input may take (a hang, or a quadratic blow-up):
 * CPU time, so that a machine busy with other work does not fail it.
 */
const SLOWEST_MS = 1000;
/** How much the heap may grow over a whole run. */
const HEAP_GROWTH_LIMIT = 256 * 1024 * 1024;

/** Byte sequences that have broken parsers before: separators, escapes, bad UTF-8. */
const TROUBLEMAKERS = [
  ",",
  '"',
  '""',
  "%",
  "%2",
  "%ZZ",
  "%25",
  ";",
  "=",
  "\n",
  "\r",
  "\r\n",
  "\0",
  "\t",
  "`",
  "[",
  "](",
  "**",
  "- ",
  "Location: ",
  " — ",
  "../",
  "/",
  "~/",
  "#",
  "?",
  "TBD",
  "DEL-01-02",
  "**Current State:** ",
  "**DeliverableID:** ",
  "\uFEFF",
].map((s) => encoder.encode(s)).concat([
  new Uint8Array([0xff]),
  new Uint8Array([0xc0, 0xaf]),
  new Uint8Array([0xed, 0xa0, 0x80]),
  new Uint8Array([0xe2, 0x80]),
  new Uint8Array([0xf0, 0x9f, 0x98, 0x80]),
]);

/** Seeds: valid records, of several shapes, and real host file shapes. */
function recordSeeds(): string[] {
  const plain = encodeRecord(sampleRecord());
  const busy = encodeRecord(sampleRecord({
    RunStatus: "FAILED",
    ErrorSummary: 'a "quoted", 100% broken\nline;=x',
    Notes: "=1+1, é — ü\ttab",
    InputFiles: ["a b/c;d.md", "_CONTEXT.md"],
  }));
  return [plain, busy];
}

const REFERENCES_SEED = [
  "# References: DEL-01-02 Some Deliverable",
  "",
  "## Applicable References",
  "- [Decomposition Document](../../../_Decomposition/Project_Decomposition.md)",
  "  - ContentHash: TBD",
  "- `_Decomposition/Project_Decomposition.md` — SOW-002 scope definition",
  "- Standard ABC — Location: ../../0_References/abc.pdf — relevance text",
  "- https://example.org/spec — external, not hashable",
  '* [x](<a b.md> "title")',
  "",
].join("\n");

const STATUS_SEED =
  "# Status: DEL-01-02 X\n\n**Current State:** INITIALIZED  \n**Last Updated:** 2026-02-22\n\n" +
  "## History\n| Date | From | To |\n|---|---|---|\n| 2026-02-21 | — | OPEN |\n";

const CONTEXT_SEED = "# Context: DEL-01-02\n\n- **Deliverable ID:** DEL-01-02\n**Name:** X\n";

/** One mutation of `bytes`, drawn from `random`. */
function mutate(bytes: Uint8Array, random: () => number, other: Uint8Array): Uint8Array {
  const at = (n: number) => Math.floor(random() * (n + 1));
  const pos = at(bytes.length);
  const pick = TROUBLEMAKERS[Math.floor(random() * TROUBLEMAKERS.length)];
  switch (Math.floor(random() * 7)) {
    case 0: { // flip a byte
      const copy = bytes.slice();
      if (copy.length > 0) copy[Math.min(pos, copy.length - 1)] ^= 1 << Math.floor(random() * 8);
      return copy;
    }
    case 1: // insert a troublemaker
      return concat(bytes.subarray(0, pos), pick, bytes.subarray(pos));
    case 2: { // delete a range
      const end = pos + at(Math.min(40, bytes.length - pos));
      return concat(bytes.subarray(0, pos), bytes.subarray(end));
    }
    case 3: // cut short
      return bytes.subarray(0, pos);
    case 4: { // repeat a range many times
      const end = pos + at(Math.min(20, bytes.length - pos));
      const piece = bytes.subarray(pos, end);
      const times = 1 + at(2000);
      return concat(bytes.subarray(0, end), ...Array(times).fill(piece), bytes.subarray(end));
    }
    case 5: // splice with another input
      return concat(bytes.subarray(0, pos), other.subarray(at(other.length)));
    default: { // a random byte
      const copy = bytes.slice();
      if (copy.length > 0) copy[Math.min(pos, copy.length - 1)] = Math.floor(random() * 256);
      return copy;
    }
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** `runs` inputs, each 1 to 4 mutations of a seed; calls `check` with each and times it. */
function fuzz(
  name: string,
  seeds: Uint8Array[],
  runs: number,
  check: (input: Uint8Array) => void,
): { slowestMs: number } {
  const random = seededRandom(`fuzz ${name}`);
  let slowestMs = 0;
  for (let i = 0; i < runs; i++) {
    let input = seeds[Math.floor(random() * seeds.length)];
    const mutations = 1 + Math.floor(random() * 4);
    for (let m = 0; m < mutations; m++) {
      input = mutate(input, random, seeds[Math.floor(random() * seeds.length)]);
    }
    const started = cpuUsage();
    try {
      check(input);
    } catch (e) {
      throw new Error(
        `${name}: input ${i} threw ${(e as Error)?.stack ?? e}\ninput: ${
          JSON.stringify(decoder.decode(input).slice(0, 2000))
        }`,
      );
    }
    const spent = cpuUsage(started);
    slowestMs = Math.max(slowestMs, (spent.user + spent.system) / 1000);
  }
  console.log(`fuzz ${name}: ${runs} inputs, slowest ${slowestMs.toFixed(1)} CPU ms`);
  return { slowestMs };
}

/** Calls `fn`; an error other than one of `allowed` is re-thrown. */
function only(fn: () => void, ...allowed: ((e: unknown) => boolean)[]): void {
  try {
    fn();
  } catch (e) {
    if (!allowed.some((ok) => ok(e))) throw e;
  }
}

const isDecodeError = (e: unknown) => e instanceof DecodeError;
const isBadEscape = (e: unknown) => e instanceof Error && e.message.startsWith("bad escape ");

Deno.test("fuzz: the record reader, the codec and the three host file readers never throw unexpectedly, hang or grow memory", async () => {
  const perTarget = Math.ceil(RUNS / 5);
  const heapBefore = Deno.memoryUsage().heapUsed;
  const records = recordSeeds();
  const lines = records.map((r) => encoder.encode(r));
  const files = [encoder.encode(`${HEADER}\n${records.join("\n")}\n`), ...lines];
  const slowest: number[] = [];

  // The record reader: whatever the bytes, verdicts with line numbers, never a throw.
  slowest.push(
    fuzz("record reader", files, perTarget, (bytes) => {
      const terminated = bytes.at(-1) === 10;
      const batch = checkJob([{ bytes, firstLine: 1, terminated }]);
      const lineCount = bytes.reduce((n, b) => n + (b === 10 ? 1 : 0), 0) + 1;
      assert(batch.records >= 0 && batch.records <= lineCount);
      for (const p of batch.problems) {
        assert(p.line >= 1 && p.line <= lineCount, `line ${p.line} of ${lineCount}`);
        assert(!p.message.includes("\n"), `a message of two lines: ${p.message}`);
      }
    }).slowestMs,
  );

  // The codec: only DecodeError; a decoded line with a right checksum encodes back to itself.
  slowest.push(
    fuzz("codec", lines, perTarget, (bytes) => {
      const line = decoder.decode(bytes);
      only(() => splitCells(line), isDecodeError);
      only(() => unescapeValue(line), isBadEscape);
      checksumMatches(line);
      only(() => {
        const record = decodeRecord(line);
        if (checksumMatches(line)) assertEquals(encodeRecord(record), line);
      }, isDecodeError);
    }).slowestMs,
  );

  // _REFERENCES.md: every reference has a line, a kind and a target on one line.
  slowest.push(
    fuzz("_REFERENCES.md", [encoder.encode(REFERENCES_SEED)], perTarget, (bytes) => {
      for (const r of parseReferences(decoder.decode(bytes))) {
        assert(r.line >= 1 && ["path", "url", "placeholder"].includes(r.kind));
        assert(r.target !== "" && !/[\r\n]/.test(r.target), JSON.stringify(r));
      }
    }).slowestMs,
  );

  // _STATUS.md: a lifecycle state or TBD with a one-line problem of bounded length.
  slowest.push(
    fuzz("_STATUS.md", [encoder.encode(STATUS_SEED)], perTarget, (bytes) => {
      const reading = parseLifecycleState(decoder.decode(bytes), "_STATUS.md");
      if (reading.problem !== undefined) {
        assertEquals(reading.state, "TBD");
        assert(!/[\r\n]/.test(reading.problem) && reading.problem.length < 400, reading.problem);
      }
    }).slowestMs,
  );

  // _CONTEXT.md, through the file a deliverable holds: an ID always (the folder's at worst).
  const dir = join(await tempDir({ prefix: "runrec-fuzz-" }), "DEL-01-02_Fuzz");
  await Deno.mkdir(dir);
  const contextFile = join(dir, "_CONTEXT.md");
  slowest.push(
    fuzz("_CONTEXT.md", [encoder.encode(CONTEXT_SEED)], perTarget, (bytes) => {
      Deno.writeFileSync(contextFile, bytes);
      only(() => {
        const { id, note } = deliverableId(dir);
        assert(/^DEL-[0-9]{2,}-[0-9]{2,}$/.test(id) && id.length <= 255, id);
        assert(note === undefined || (!/[\r\n]/.test(note) && note.length < 600), note);
      }, (e) => e instanceof InputError);
    }).slowestMs,
  );

  const growth = Deno.memoryUsage().heapUsed - heapBefore;
  console.log(
    `fuzz: ${perTarget * 5} inputs in all, heap grew ${(growth / 2 ** 20).toFixed(1)} MiB`,
  );
  assert(Math.max(...slowest) < SLOWEST_MS, `slowest input ${Math.max(...slowest)} ms`);
  assert(growth < HEAP_GROWTH_LIMIT, `heap grew ${growth} bytes`);
});
