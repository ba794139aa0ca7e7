/**
 * `utf8Text` (./src/utf8_text.ts), the reader's decoding of a record line,
 * against a fatal `TextDecoder` on seeded byte strings that mix ASCII, valid
 * UTF-8 (U+FFFD and byte-order marks among it) and invalid sequences.
 */
import { strictEqual } from "node:assert/strict";
import { textBeforeCutCharacter, utf8Text } from "../src/utf8_text.ts";
import { seededRandom } from "./seed.ts";

const strict = new TextDecoder("utf-8", { fatal: true });
const encode = (text: string) => [...new TextEncoder().encode(text)];

/** Pieces a line is built of: each is valid UTF-8 alone or one of the invalid kinds. */
const PIECES: number[][] = [
  encode("v1.0,"),
  encode("a"),
  encode(","),
  encode("é"),
  encode("€"),
  encode("😀"),
  encode("\uFFFD"), // the replacement character itself: valid
  [0xef, 0xbb, 0xbf], // a byte-order mark: dropped at the start, kept elsewhere
  [0x0d],
  [0x00],
  [0x80], // a continuation byte alone
  [0xff],
  [0xc3], // a lead byte cut short
  [0xe2, 0x82], // a three-byte sequence cut short
  [0xc0, 0x80], // an overlong NUL
  [0xed, 0xa0, 0x80], // a UTF-16 surrogate, encoded
  [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
  [0xef, 0xbf, 0xbd], // U+FFFD's bytes, spelt out
];

function expected(bytes: Uint8Array): string | undefined {
  try {
    return strict.decode(bytes);
  } catch {
    return undefined;
  }
}

Deno.test("utf8Text decodes as a fatal TextDecoder does, on 20,000 seeded byte strings", () => {
  const random = seededRandom("utf8Text against the fatal decoder");
  let valid = 0;
  for (let n = 0; n < 20_000; n++) {
    const bytes: number[] = [];
    // Mostly valid lines, as files hold: an invalid piece in about one line of three.
    const invalidOdds = random() < 0.3 ? 0.2 : 0;
    for (let k = Math.floor(random() * 12); k > 0; k--) {
      const piece = PIECES[Math.floor(random() * PIECES.length)];
      const invalid = PIECES.indexOf(piece) >= 10 && PIECES.indexOf(piece) < 17;
      if (invalid && random() >= invalidOdds) continue;
      bytes.push(...piece);
    }
    const line = new Uint8Array(bytes);
    const want = expected(line);
    if (want !== undefined) valid++;
    strictEqual(utf8Text(line), want, `bytes ${JSON.stringify(bytes)}`);
    // A view into a larger buffer reads the same.
    const framed = new Uint8Array([0xff, ...bytes, 0xff]).subarray(1, bytes.length + 1);
    strictEqual(utf8Text(framed), want, `view of ${JSON.stringify(bytes)}`);
  }
  // Both kinds were compared, not just one.
  strictEqual(valid > 5_000 && valid < 19_000, true, `${valid} of 20,000 valid`);
});

Deno.test("utf8Text: U+FFFD written as such is text, a lone bad byte is not", () => {
  strictEqual(utf8Text(new Uint8Array(encode("x\uFFFDy"))), "x\uFFFDy");
  strictEqual(utf8Text(new Uint8Array([0x78, 0xef, 0xbf, 0xbd, 0xff])), undefined);
  strictEqual(utf8Text(new Uint8Array([0xef, 0xbb, 0xbf, 0x61])), "a");
  strictEqual(utf8Text(new Uint8Array(0)), "");
});

Deno.test("textBeforeCutCharacter: the text before the first bytes of a character cut through at the end, else undefined (review60)", () => {
  const bytes = (text: string, ...tail: number[]) => new Uint8Array([...encode(text), ...tail]);
  for (const character of ["é", "€", "😀"]) {
    const whole = encode(character);
    for (let kept = 1; kept < whole.length; kept++) {
      strictEqual(textBeforeCutCharacter(bytes("v1.0,a", ...whole.slice(0, kept))), "v1.0,a");
    }
    strictEqual(textBeforeCutCharacter(bytes(`v1.0,${character}`)), undefined, "whole");
  }
  strictEqual(textBeforeCutCharacter(bytes("v1.0,", 0xff, 0xc3)), undefined, "not UTF-8 before");
  strictEqual(textBeforeCutCharacter(bytes("v1.0,", 0x80)), undefined, "no lead byte");
  strictEqual(textBeforeCutCharacter(bytes("v1.0,", 0xe2, 0x82, 0xac, 0x82)), undefined);
});
