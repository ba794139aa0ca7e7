import { assert, assertEquals } from "./assert.ts";
import fc from "fast-check";
import { decodeRecord, encodeRecord, splitCells } from "../src/codec.ts";
import { acceptedInputContextShas, contextShaOf, inputContextSha } from "../src/manifest.ts";
import { plainRecord } from "../src/plain_record.ts";
import {
  crossFieldProblems,
  LIFECYCLE_STATES,
  RUN_STATUSES,
  type RunRecord,
  validateRecord,
} from "../src/schema.ts";
import { ROOT, sampleRecord } from "./fixtures.ts";
import { seeded } from "./seed.ts";

/** Every file beneath `folder`. */
async function* walk(folder: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(folder)) {
    const path = `${folder}/${entry.name}`;
    if (entry.isDirectory) yield* walk(path);
    else if (entry.isFile) yield path;
  }
}

/**
 * The fast path's contract: a line it accepts decodes to the same record
 * the full way, and every field passes its own check (what validateRecord
 * reports is then only what crossFieldProblems does).
 */
function assertAgrees(line: string): boolean {
  const fast = plainRecord(line)?.record;
  if (fast === undefined) return false;
  let slow: RunRecord;
  try {
    slow = decodeRecord(line);
  } catch (e) {
    throw new Error(`fast path accepted a line decodeRecord refuses (${e}): ${line}`);
  }
  assertEquals(fast, slow, line);
  assertEquals(JSON.stringify(fast), JSON.stringify(slow), "keys in another order");
  assertEquals(validateRecord(fast), crossFieldProblems(fast), line);
  return true;
}

/** Characters plain and not: what the fast path must tell apart. */
const piece = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom("a", "Z", "0", "_", ".", "-", " ", "é", "日", "/") },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      ...'%,;="\t\r\n\0\x7f+@',
      "..",
      "%25",
      "%3B",
      "%41",
      '""',
      "\u{1F600}",
      "\uD800",
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 2 }) },
);
const anyText = fc.array(piece, { maxLength: 8 }).map((parts) => parts.join(""));
/** Mostly plain paths, some with anything: `..`, `.`, empty segments, separators, escapes. */
const anyPath = fc.oneof(
  fc.constantFrom("_CONTEXT.md", "../../0_References/a b.txt", "Specification.md", "x/y.md"),
  anyText.filter((s) => s !== ""),
);
const anyHash = fc.oneof(
  fc.stringMatching(/^[0-9a-f]{64}$/),
  fc.constantFrom("TBD", "DELETED", "A".repeat(64), "g".repeat(64), "a".repeat(63)),
);

/** Mostly `usual` (valid), sometimes `odd`. */
const mostly = <T>(usual: T[], odd: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...usual) }, { weight: 1, arbitrary: odd });

/** A record of any field values: most valid and plain, some not. */
const anyRecord = fc.record({
  pass: mostly(["FULL", "", "PASS-2"], anyText),
  error: mostly(["", "Spec section 4 missing"], anyText),
  notes: mostly(["", "second pass"], anyText),
  host: mostly(["build-07"], anyText),
  inputs: fc.array(mostly(["_CONTEXT.md", "../../0_References/a b.txt", "x/y.md"], anyPath), {
    maxLength: 4,
  }),
  outputs: fc.array(mostly(["Datasheet.md", "Specification.md", "z/w.md"], anyPath), {
    maxLength: 4,
  }),
  hashes: fc.array(mostly(["a".repeat(64), "0123456789abcdef".repeat(4), "TBD"], anyHash), {
    minLength: 8,
    maxLength: 8,
  }),
  status: mostly([...RUN_STATUSES], fc.constant("DONE")),
  before: mostly([...LIFECYCLE_STATES], fc.constant("open")),
  gitHead: mostly(
    ["", "4e8a".repeat(10), "4e8a".repeat(16)],
    fc.constantFrom("4E8A".repeat(10), "abc"),
  ),
  timestamp: mostly(
    ["2026-02-22T10:15:00.000Z", "2026-02-22T10:15:00.123456789Z"],
    fc.constantFrom(
      "2026-02-30T10:15:00Z",
      "1999-12-31T23:59:59Z",
      "2026-02-22 10:15:00Z",
      "2024-02-29T00:00:00Z",
      "2023-02-29T00:00:00Z",
      "2100-02-29T00:00:00Z",
      "2000-02-29T00:00:00Z",
      "2026-04-31T00:00:00Z",
      "2026-12-31T23:59:60Z",
      "2026-12-31T24:00:00Z",
      "2026-13-01T00:00:00Z",
      "2026-00-10T00:00:00Z",
      "2026-01-00T00:00:00Z",
      "2999-12-31T23:59:59.999999999Z",
      "3000-01-01T00:00:00Z",
      "2026-02-22T10:15:00.1234567890Z",
      "2026-02-22T10:15:00.Z",
      "2026-02-22T10:15Z",
      "2026-02-22T10:15:00+00:00",
    ),
  ),
  duration: mostly(["PT2M34.5S", "PT0S", "P1DT2H"], fc.constantFrom("P3651D", "PT1.2345S", "2M")),
  contextSha: mostly(
    ["computed", "TBD"],
    fc.constantFrom("c".repeat(64), "C".repeat(64), "g".repeat(64)),
  ),
});

function recordOf(r: typeof anyRecord extends fc.Arbitrary<infer T> ? T : never): RunRecord {
  const inputHashes = Object.fromEntries(r.inputs.map((p, i) => [p, r.hashes[i]]));
  return sampleRecord({
    RunTimestamp: r.timestamp,
    RunDuration: r.duration,
    RunStatus: r.status,
    RunPassDirective: r.pass,
    InputFiles: r.inputs,
    OutputFiles: r.outputs,
    StatusBefore: r.before,
    ErrorSummary: r.error,
    Notes: r.notes,
    InputHashes: inputHashes,
    // Drawn hashes may be DELETED or upper case: the value such cells give, as a record holds them.
    InputContextSHA: r.contextSha === "computed" ? contextShaOf(inputHashes) : r.contextSha,
    OutputHashes: Object.fromEntries(r.outputs.map((p, i) => [p, r.hashes[4 + i]])),
    GitHead: r.gitHead,
    Host: r.host,
    RecordChecksum: "d".repeat(64),
  });
}

/** The encoder's line for a record, or `undefined` when encoding refuses it (a lone surrogate). */
function lineOf(record: RunRecord): string | undefined {
  try {
    return encodeRecord(record);
  } catch {
    return undefined;
  }
}

Deno.test("plain_record: the fast path agrees with decodeRecord + validateRecord on any record", () => {
  let accepted = 0;
  fc.assert(
    fc.property(anyRecord, (r) => {
      const line = lineOf(recordOf(r));
      if (line !== undefined && assertAgrees(line)) accepted++;
    }),
    seeded("plain record agreement", { numRuns: 3_000 }),
  );
  // The property says nothing if the fast path refuses everything.
  assert(accepted > 100, `the fast path accepted only ${accepted} of 3,000 lines`);
});

Deno.test("plain_record: plainRecord gives the InputContextSHA a record's InputHashes give", () => {
  let hashed = 0;
  fc.assert(
    fc.property(anyRecord, (record) => {
      const line = lineOf(recordOf(record));
      const plain = line === undefined ? undefined : plainRecord(line);
      if (plain === undefined) return;
      assertEquals([plain.inputContextSha], acceptedInputContextShas(plain.record.InputHashes));
      if (plain.inputContextSha !== "TBD") hashed++;
    }),
    seeded("plain records' InputContextSHA", { numRuns: 2000 }),
  );
  // The property says nothing if no manifest is hashed; of 2,000 draws, 92 to 153 are (300 seeds),
  // so a floor of 100 failed 1 seed in 25.
  assert(hashed > 50, `only ${hashed} manifests hashed`);
  // A manifest of many inputs.
  const many = Object.fromEntries(
    Array.from(
      { length: 300 },
      (_, i) => [`input-${String(i).padStart(4, "0")}.md`, "a".repeat(64)],
    ),
  );
  const long = encodeRecord(sampleRecord({
    InputFiles: [],
    InputHashes: many,
    InputContextSHA: inputContextSha(many),
  }));
  assertEquals(plainRecord(long)?.inputContextSha, inputContextSha(many));
});

/** Cells of any shape, quoted or not. */
const anyCell = fc.array(
  fc.oneof(
    piece,
    fc.constantFrom(
      "TBD",
      "DELETED",
      "a".repeat(64),
      "x=",
      "=TBD",
      "a.md=TBD",
      "b.md=TBD;a.md=TBD",
      "a.md=TBD;a.md=TBD",
      "a.md;a.md",
      ";",
      "../",
      "./",
    ),
  ),
  { maxLength: 6 },
).map((parts) => parts.join(""));

Deno.test("plain_record: any cell of a valid line changed: accepted only as the full way reads it", () => {
  const base = encodeRecord(sampleRecord({
    InputFiles: ["_CONTEXT.md", "b.md"],
    InputHashes: { "_CONTEXT.md": "a".repeat(64), "b.md": "TBD" },
    InputContextSHA: inputContextSha({ "_CONTEXT.md": "a".repeat(64), "b.md": "TBD" }),
    GitHead: "4e8a".repeat(10),
    Notes: "plain notes",
  }));
  assert(assertAgrees(base), "the base line takes the fast path");
  const cells = splitCells(base);
  fc.assert(
    fc.property(
      fc.nat({ max: cells.length - 1 }),
      anyCell,
      fc.boolean(),
      fc.boolean(),
      (at, cell, quoted, appended) => {
        const mutated = [...cells];
        const written = quoted ? `"${cell.replaceAll('"', '""')}"` : cell;
        mutated[at] = appended ? `${cells[at]}${written}` : written;
        assertAgrees(mutated.join(","));
      },
    ),
    seeded("plain record mutations", { numRuns: 5_000 }),
  );
});

Deno.test("plain_record: every line of every fixture file", async () => {
  let lines = 0;
  for await (const path of walk(`${ROOT}tests/fixtures`)) {
    if (!path.endsWith(".csv")) continue;
    const text = new TextDecoder().decode(await Deno.readFile(path));
    for (const line of text.split(/\r?\n/)) {
      assertAgrees(line);
      lines++;
    }
  }
  assert(lines > 50, `read only ${lines} fixture lines`);
});

Deno.test("plain_record: a __proto__ path and a path listed twice go the full way", () => {
  const proto = encodeRecord(sampleRecord({
    InputFiles: [],
    InputHashes: { ["__proto__"]: "TBD" } as Record<string, string>,
  }));
  assertEquals(plainRecord(proto), undefined);
  assertEquals(
    plainRecord(encodeRecord(sampleRecord({ OutputFiles: ["a.md", "a.md"] }))),
    undefined,
  );
  assertAgrees(encodeRecord(sampleRecord()));
});

Deno.test("plain_record and schema: a record of 50,000 output files is read and validated in linear time", () => {
  // A run may write 100,000 files (one record holds them, under the 16 MiB line limit): a search
  // for a path listed twice that compared pairs took ~10 s of CPU for 40,000 paths, ~80 s for
  // 100,000; with a Set, well under a second.
  const files = Array.from({ length: 50_000 }, (_, i) => `out/f${i}.md`);
  const record = sampleRecord({
    OutputFiles: files,
    OutputHashes: Object.fromEntries(files.map((f) => [f, "TBD"])),
  });
  const line = encodeRecord(record);
  const started = performance.now();
  assertEquals(plainRecord(line)?.record.OutputFiles.length, 50_000);
  assertEquals(validateRecord(decodeRecord(line)), []);
  const seconds = (performance.now() - started) / 1000;
  assert(seconds < 10, `took ${seconds.toFixed(1)} s`);
  // A path listed twice is still found, by both ways.
  const twice = encodeRecord(sampleRecord({
    OutputFiles: [...files, files[0]],
    OutputHashes: Object.fromEntries(files.map((f) => [f, "TBD"])),
  }));
  assertEquals(plainRecord(twice), undefined);
  assert(validateRecord(decodeRecord(twice)).some((p) => p.message.includes("twice")));
});
