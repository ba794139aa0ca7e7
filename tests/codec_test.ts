import { assert, assertEquals, assertThrows } from "./assert.ts";
import fc from "fast-check";
import {
  checksumMatches,
  decodeRecord,
  encodeRecord,
  escapeValue,
  splitCsvLine,
  unescapeValue,
} from "../src/codec.ts";
import { inputContextSha } from "../src/manifest.ts";
import { COLUMNS, type RunRecord, validateRecord } from "../src/schema.ts";
import { sampleRecord } from "./fixtures.ts";

/** Any Unicode text: full code points, controls, separators, quotes, `%`, `=`. */
const anyText = fc.array(
  fc.oneof(fc.string({ unit: "binary", maxLength: 4 }), fc.constantFrom(...'\n\r\t,;=%"\0\x7f ')),
).map((parts) => parts.join(""));
/** A normalised relative path: segments of any text without `/`, optional leading `..`. */
const anyPath = fc.tuple(
  fc.nat({ max: 3 }),
  fc.array(anyText.filter((s) => s !== "" && s !== "." && s !== ".." && !s.includes("/")), {
    minLength: 1,
    maxLength: 4,
  }),
).map(([up, segments]) => [...Array(up).fill(".."), ...segments].join("/"));
const anyHash = fc.oneof(
  fc.stringMatching(/^[0-9a-f]{64}$/),
  fc.constant("TBD"),
);

Deno.test("codec: any text in every text field and any path round-trips on one line", () => {
  fc.assert(
    fc.property(
      fc.record({
        pass: anyText,
        error: anyText,
        notes: anyText,
        host: anyText,
        inputs: fc.uniqueArray(anyPath, { maxLength: 5 }),
        outputs: fc.uniqueArray(anyPath, { maxLength: 5 }),
        hashes: fc.array(anyHash, { minLength: 10, maxLength: 10 }),
      }),
      ({ pass, error, notes, host, inputs, outputs, hashes }) => {
        const inputHashes = Object.fromEntries(inputs.map((p, i) => [p, hashes[i % 10]]));
        const record: RunRecord = sampleRecord({
          RunPassDirective: pass,
          ErrorSummary: error,
          Notes: notes,
          Host: host,
          InputFiles: inputs,
          OutputFiles: outputs,
          InputHashes: inputHashes,
          InputContextSHA: inputContextSha(inputHashes),
          OutputHashes: Object.fromEntries(outputs.map((p, i) => [p, hashes[(i + 5) % 10]])),
        });
        const line = encodeRecord(record);
        assert(!line.includes("\n") && !line.includes("\r"), "line holds a line break");
        assert(checksumMatches(line), "checksum does not match");
        const back = decodeRecord(line);
        record.RecordChecksum = line.slice(-64);
        assertEquals(back, record);
        assertEquals(validateRecord(back), []);
        assertEquals(encodeRecord(back), line, "re-encoding changes the line");
      },
    ),
    { numRuns: 500 },
  );
});

Deno.test("codec: escaping examples from SCHEMA.md", () => {
  assertEquals(escapeValue("a,b;c.md", "list"), "a,b%3Bc.md");
  assertEquals(escapeValue('said "hi"\nthen 100%', "text"), 'said "hi"%0Athen 100%25');
  assertEquals(escapeValue("k=v;w", "key"), "k%3Dv%3Bw");
  assertEquals(escapeValue("tab\there", "text"), "tab\there");
  assertEquals(unescapeValue("a%3Bb%0A100%25"), "a;b\n100%");
  assertThrows(() => unescapeValue("100%"), Error, "bad escape");
  assertThrows(() => unescapeValue("%zz"), Error, "bad escape");
});

Deno.test("codec: CSV quoting follows RFC 4180 and rejects malformed lines", () => {
  assertEquals(splitCsvLine('a,"b,c","d""e",'), ["a", "b,c", 'd"e', ""]);
  assertThrows(() => splitCsvLine('a,"b'), Error, "unterminated");
  assertThrows(() => splitCsvLine('a,b"c'), Error, "stray quote");
  assertThrows(() => splitCsvLine('"a"b'), Error, "after a closing quote");
  assertThrows(() => decodeRecord("v1.0,x"), Error, `expected ${COLUMNS.length}`);
});

Deno.test("codec: a flipped byte breaks the checksum", () => {
  const line = encodeRecord(sampleRecord());
  const flipped = line.replace("SUCCESS", "SUCCESZ");
  assert(checksumMatches(line));
  assert(!checksumMatches(flipped));
});
