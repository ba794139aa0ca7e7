/**
 * SHA-256: `sha256Hex` and `Sha256` against `node:crypto` and `openssl` on
 * every length 0..300 and a few large inputs; the embedded WebAssembly against
 * its source; the JavaScript fallback (no WebAssembly) in a `--jitless` process;
 * and `hashFile` on both sides of its `node:crypto` threshold.
 */
import { createHash } from "node:crypto";
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { isLowerHex, isSha256Hex, Sha256, SHA256_WASM_HEX, sha256Hex } from "../src/sha256.ts";
import { sha256HexX4, SHA256X4_WASM_HEX, X4_MESSAGE_LIMIT } from "../src/sha256x4.ts";
import { hashFile, JS_FILE_LIMIT } from "../src/hash.ts";
import { tempDir } from "./fixtures.ts";

function nodeSha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

function randomBytes(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536));
  return bytes;
}

/** `openssl dgst -sha256` of many inputs at once, in one process (one file each). */
async function opensslSha256(inputs: Uint8Array[]): Promise<string[]> {
  const dir = await tempDir({ prefix: "runrec_sha256_" });
  try {
    const paths = inputs.map((bytes, i) => {
      const path = join(dir, `${i}.bin`);
      Deno.writeFileSync(path, bytes);
      return path;
    });
    const { code, stdout } = await new Deno.Command("openssl", {
      args: ["dgst", "-sha256", "-r", ...paths],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    strictEqual(code, 0);
    const lines = new TextDecoder().decode(stdout).trim().split("\n");
    const byPath = new Map(lines.map((l) => [l.slice(66).replace(/^\*/, ""), l.slice(0, 64)]));
    return paths.map((p) => byPath.get(p)!);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("sha256Hex: known answers", () => {
  strictEqual(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  strictEqual(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  strictEqual(
    sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
  );
  strictEqual(
    sha256Hex("a".repeat(1_000_000)),
    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
  );
});

Deno.test("isLowerHex and isSha256Hex agree with /^[0-9a-f]*$/ for every UTF-16 code unit", () => {
  const hash = "0123456789abcdef".repeat(4);
  for (let c = 0; c <= 0xffff; c++) {
    const char = String.fromCharCode(c);
    const hex = /^[0-9a-f]$/.test(char);
    strictEqual(isLowerHex(char), hex, `U+${c.toString(16)}`);
    // Even lengths up to 64 are parsed natively, the others a character at a time.
    strictEqual(isLowerHex(`0${char}`), hex, `U+${c.toString(16)}`);
    strictEqual(isLowerHex(hash.slice(0, 39) + char), hex, `U+${c.toString(16)}`);
    strictEqual(isLowerHex(`${hash}0${char}`), hex, `U+${c.toString(16)}`);
    // The unit in the middle and at either end of a 64-digit hash.
    strictEqual(isSha256Hex(hash.slice(0, 32) + char + hash.slice(33)), hex, `U+${c.toString(16)}`);
    strictEqual(isSha256Hex(char + hash.slice(1)), hex);
    strictEqual(isSha256Hex(hash.slice(0, 63) + char), hex);
  }
  ok(isLowerHex(""));
  ok(!isSha256Hex(hash.slice(1)) && !isSha256Hex(`${hash}0`) && !isSha256Hex(""));
});

Deno.test("sha256Hex of strings: UTF-8 bytes, on both sides of the reused encoding buffer", () => {
  const encoder = new TextEncoder();
  // Strings are encoded into a reused buffer up to 65,536 UTF-16 units, by `encode` beyond.
  const texts = [
    "a".repeat(70_000),
    "€".repeat(65_536), // 3 bytes each: fills the buffer exactly
    "€".repeat(65_537),
    "short, after a long one",
    "lone \uD800 surrogate", // becomes U+FFFD, as TextEncoder writes it
    "日本語 — Straße ✓ \u{1F600}",
    "",
  ];
  for (const text of texts) {
    strictEqual(
      sha256Hex(text),
      nodeSha256(encoder.encode(text)),
      JSON.stringify(text.slice(0, 20)),
    );
  }
});

Deno.test("sha256Hex equals node:crypto and openssl for random inputs of every length 0..300", async () => {
  const inputs = Array.from({ length: 301 }, (_, n) => randomBytes(n));
  const openssl = await opensslSha256(inputs);
  inputs.forEach((bytes, n) => {
    const expected = nodeSha256(bytes);
    strictEqual(openssl[n], expected, `openssl, length ${n}`);
    strictEqual(sha256Hex(bytes), expected, `length ${n}`);
    // A view into a larger buffer hashes only its own bytes.
    const padded = new Uint8Array(n + 7);
    padded.set(bytes, 3);
    strictEqual(sha256Hex(padded.subarray(3, 3 + n)), expected, `view, length ${n}`);
  });
});

Deno.test("sha256Hex equals node:crypto and openssl for large inputs", async () => {
  // Around the WebAssembly input area (63 KiB per call) and well beyond it.
  const sizes = [64_511, 64_512, 64_513, 64_575, 64_576, 64_577, 100_000, 1 << 20, 5_000_001];
  const inputs = sizes.map(randomBytes);
  const openssl = await opensslSha256(inputs);
  inputs.forEach((bytes, i) => {
    strictEqual(sha256Hex(bytes), openssl[i], `length ${sizes[i]}`);
    strictEqual(nodeSha256(bytes), openssl[i], `node, length ${sizes[i]}`);
  });
});

Deno.test("sha256Hex of a string hashes its UTF-8 bytes, as node:crypto does", () => {
  const strings = [
    "",
    "v1.0,RUN-DEL-01-02-20260222-1015-001,DEL-01-02",
    "Straße — 日本語 ✓ \u{1F600}",
    "lone surrogates \ud800 and \udfff become U+FFFD",
    "x".repeat(5000) + "é".repeat(3000) + "\u{1F600}".repeat(2000),
  ];
  for (let i = 0; i < 200; i++) {
    strings.push(
      Array.from({ length: i }, () => String.fromCodePoint(Math.floor(Math.random() * 0x11000)))
        .join(""),
    );
  }
  for (const s of strings) strictEqual(sha256Hex(s), nodeSha256(s), JSON.stringify(s.slice(0, 40)));
});

Deno.test("Sha256 in chunks of any size equals the one-shot hash", () => {
  for (const size of [0, 1, 55, 56, 63, 64, 65, 127, 128, 129, 1000, 70_000, 300_000]) {
    const bytes = randomBytes(size);
    const expected = nodeSha256(bytes);
    for (const chunk of [1, 7, 63, 64, 65, 4096, 65_536, 1 << 20]) {
      const hash = new Sha256();
      for (let at = 0; at < size; at += chunk) hash.update(bytes.subarray(at, at + chunk));
      strictEqual(hash.digestHex(), expected, `size ${size}, chunks of ${chunk}`);
    }
    const reused = new Sha256();
    reused.update(randomBytes(100));
    strictEqual(reused.reset().update(bytes).digestHex(), expected, `reset, size ${size}`);
  }
});

Deno.test("the JavaScript fallback (no WebAssembly, --jitless) gives the same hashes", async () => {
  const script = `
    import { Sha256, sha256Hex } from ${
    JSON.stringify(new URL("../src/sha256.ts", import.meta.url).href)
  };
    if (typeof WebAssembly !== "undefined") {
      try { new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])); throw "wasm"; }
      catch (e) { if (e === "wasm") throw new Error("WebAssembly is available: not a fallback test"); }
    }
    const out = [];
    for (let n = 0; n < 300; n += 7) out.push(sha256Hex(new Uint8Array(n).map((_, i) => i * 31)));
    out.push(sha256Hex("Straße ✓ \u{1F600}"));
    const h = new Sha256();
    for (let i = 0; i < 100; i++) h.update(new Uint8Array(i).fill(i));
    out.push(h.digestHex());
    console.log(JSON.stringify(out));
  `;
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--v8-flags=--jitless", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  strictEqual(code, 0, new TextDecoder().decode(stderr));
  const got = JSON.parse(new TextDecoder().decode(stdout));
  const expected: string[] = [];
  for (let n = 0; n < 300; n += 7) {
    expected.push(nodeSha256(new Uint8Array(n).map((_, i) => i * 31)));
  }
  expected.push(nodeSha256("Straße ✓ \u{1F600}"));
  const all: number[] = [];
  for (let i = 0; i < 100; i++) all.push(...new Uint8Array(i).fill(i));
  expected.push(nodeSha256(new Uint8Array(all)));
  deepStrictEqual(got, expected);
});

Deno.test("the embedded WebAssembly module is what its source assembles", () => {
  const bytes = sha256Module();
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  strictEqual(SHA256_WASM_HEX, hex);
  ok(WebAssembly.validate(bytes));
});

Deno.test("the embedded four-lane WebAssembly module is what its source assembles", () => {
  const bytes = sha256x4Module();
  strictEqual(SHA256X4_WASM_HEX, bytes.toHex());
  ok(WebAssembly.validate(bytes));
});

Deno.test("sha256HexX4 equals node:crypto for 1-4 messages of any lengths, each lane its own", () => {
  // Every length around a block's end and the padding's, in every lane, beside other lengths.
  const edges = [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 1000, 1023, 1024];
  const lengths = [...edges, X4_MESSAGE_LIMIT - 1, X4_MESSAGE_LIMIT, X4_MESSAGE_LIMIT + 1, 70_000];
  for (let round = 0; round < 400; round++) {
    const count = 1 + (round % 4);
    const messages = Array.from(
      { length: count },
      (_, lane) => randomBytes(lengths[(round * 7 + lane * 3) % lengths.length]),
    );
    const got = sha256HexX4(messages);
    strictEqual(got.length, count);
    messages.forEach((m, lane) => strictEqual(got[lane], nodeSha256(m), `length ${m.length}`));
  }
  deepStrictEqual(sha256HexX4([]), []);
});

Deno.test("sha256HexX4 without WebAssembly SIMD (a --jitless process) still hashes", async () => {
  const script = `import { sha256HexX4 } from ${
    JSON.stringify(new URL("../src/sha256x4.ts", import.meta.url).href)
  };
    const e = new TextEncoder();
    console.log(sha256HexX4([e.encode("abc"), e.encode("")]).join(" "));`;
  const { code, stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--v8-flags=--jitless", script],
    stdout: "piped",
  }).output();
  strictEqual(code, 0);
  strictEqual(
    new TextDecoder().decode(stdout).trim(),
    `${nodeSha256("abc")} ${nodeSha256("")}`,
  );
});

Deno.test("hashFile: small files (TypeScript) and files above JS_FILE_LIMIT (node:crypto)", async () => {
  const dir = await tempDir({ prefix: "runrec_sha256_files_" });
  try {
    const sizes = [0, 1, 4096, JS_FILE_LIMIT, JS_FILE_LIMIT + 1, 3 * 1024 * 1024 + 5];
    const inputs = sizes.map(randomBytes);
    const openssl = await opensslSha256(inputs);
    for (const [i, bytes] of inputs.entries()) {
      const path = join(dir, `f${i}`);
      await Deno.writeFile(path, bytes);
      strictEqual(await hashFile(path), openssl[i], `size ${sizes[i]}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Unsigned LEB128, WebAssembly's encoding of sizes, indices and offsets. */
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    const byte = n & 0x7f;
    n >>>= 7;
    out.push(n !== 0 ? byte | 0x80 : byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128, WebAssembly's encoding of constants. */
function sleb(n: number): number[] {
  const out: number[] = [];
  while (true) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

// The instructions both modules below use.
const get = (l: number) => [0x20, l];
const set = (l: number) => [0x21, l];
const tee = (l: number) => [0x22, l];
const i32 = (n: number) => [0x41, ...sleb(n | 0)];
const load = (offset: number) => [0x28, 2, ...uleb(offset)];
const LOOP = [0x03, 0x40];
const BLOCK = [0x02, 0x40];
const END = 0x0b;
const brIf = (depth: number) => [0x0d, depth];
const br = (depth: number) => [0x0c, depth];

/**
 * A module exporting its memory `m` (`pages` of 64 KiB) and one function `c`
 * of the given parameters (a count, then their types) and `body` (locals,
 * then code).
 */
function wasmModule(params: number[], pages: number, body: number[]): Uint8Array<ArrayBuffer> {
  const section = (id: number, content: number[]) => [id, ...uleb(content.length), ...content];
  const name = (text: string) => [text.length, ...[...text].map((c) => c.charCodeAt(0))];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // "\0asm", version 1
    ...section(1, [1, 0x60, ...params, 0]), // type: (params) -> ()
    ...section(3, [1, 0]), // one function of that type
    ...section(5, [1, 0x00, pages]), // memory
    ...section(7, [2, ...name("m"), 2, 0, ...name("c"), 0, 0]), // exports
    ...section(10, [1, ...uleb(body.length), ...body]),
  ]);
}

/**
 * The end of a SHA-256 round: h = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2,
 * for the locals `[a, b, c, d, e, f, g, h, t1, t2]` and the instruction that adds them (`add`).
 */
function roundEnd(locals: readonly number[], add: readonly number[]): number[] {
  const [a, b, c, d, e, f, g, h, t1, t2] = locals;
  const move = (from: number, to: number) => [...get(from), ...set(to)];
  return [
    ...[...move(g, h), ...move(f, g), ...move(e, f)],
    ...[...get(d), ...get(t1), ...add, ...set(e)],
    ...[...move(c, d), ...move(b, c), ...move(a, b)],
    ...[...get(t1), ...get(t2), ...add, ...set(a)],
  ];
}

/**
 * The source of src/sha256.ts's WebAssembly module: the SHA-256 compression
 * function, assembled from readable instructions. See the comment above
 * `SHA256_WASM_HEX` in src/sha256.ts for the memory layout.
 */
function sha256Module(): Uint8Array<ArrayBuffer> {
  // Locals: 0 from, 1 to (parameters); 2-9 a-h; 10 i; 11 x; 12 y; 13 t1; 14 t2.
  const [FROM, TO, A, B, C, D, E, F, G, H, I, X, Y, T1, T2] = [...Array(15).keys()];
  const store = (offset: number) => [0x36, 2, ...uleb(offset)];
  const [ADD, AND, OR, XOR, SHR_U, ROTL, ROTR, GE_U, LT_U] = [
    0x6a,
    0x71,
    0x72,
    0x73,
    0x76,
    0x77,
    0x78,
    0x4f,
    0x49,
  ];
  /** rotr(v, r1) ^ rotr(v, r2) ^ (rotr or shr_u)(v, r3) */
  const sigma = (v: number, r1: number, r2: number, r3: number, shift: boolean) => [
    ...get(v),
    ...i32(r1),
    ROTR,
    ...get(v),
    ...i32(r2),
    ROTR,
    XOR,
    ...get(v),
    ...i32(r3),
    shift ? SHR_U : ROTR,
    XOR,
  ];
  /** i += 4; loop again while i < limit. */
  const next = (
    limit: number,
  ) => [...get(I), ...i32(4), ADD, ...tee(I), ...i32(limit), LT_U, ...brIf(0)];
  const code = [
    ...BLOCK,
    ...LOOP,
    ...get(FROM),
    ...get(TO),
    GE_U,
    ...brIf(1),
    // W[0..15]: the block's words, byte-swapped.
    ...i32(0),
    ...set(I),
    ...LOOP,
    ...get(I),
    ...get(FROM),
    ...get(I),
    ADD,
    ...load(0),
    ...set(X),
    ...get(X),
    ...i32(8),
    ROTR,
    ...i32(0xff00ff00),
    AND,
    ...get(X),
    ...i32(8),
    ROTL,
    ...i32(0x00ff00ff),
    AND,
    OR,
    ...store(288),
    ...next(64),
    END,
    // W[16..63] (i is a byte offset: W[t - 15] is at 288 + i - 60, and so on).
    ...LOOP,
    ...get(I),
    ...get(I),
    ...load(228),
    ...set(X),
    ...get(I),
    ...load(280),
    ...set(Y),
    ...get(I),
    ...load(224),
    ...sigma(X, 7, 18, 3, true),
    ADD,
    ...get(I),
    ...load(260),
    ADD,
    ...sigma(Y, 17, 19, 10, true),
    ADD,
    ...store(288),
    ...next(256),
    END,
    // The 64 rounds.
    ...[A, B, C, D, E, F, G, H].flatMap((l, k) => [...i32(0), ...load(k * 4), ...set(l)]),
    ...i32(0),
    ...set(I),
    ...LOOP,
    ...get(H),
    ...sigma(E, 6, 11, 25, false),
    ADD,
    ...get(G),
    ...get(E),
    ...get(F),
    ...get(G),
    XOR,
    AND,
    XOR,
    ADD,
    ...get(I),
    ...load(32),
    ADD,
    ...get(I),
    ...load(288),
    ADD,
    ...set(T1),
    ...sigma(A, 2, 13, 22, false),
    ...get(A),
    ...get(B),
    AND,
    ...get(C),
    ...get(A),
    ...get(B),
    OR,
    AND,
    OR,
    ADD,
    ...set(T2),
    ...roundEnd([A, B, C, D, E, F, G, H, T1, T2], [ADD]),
    ...next(256),
    END,
    ...[A, B, C, D, E, F, G, H].flatMap((l, k) => [
      ...i32(0),
      ...i32(0),
      ...load(k * 4),
      ...get(l),
      ADD,
      ...store(k * 4),
    ]),
    ...get(FROM),
    ...i32(64),
    ADD,
    ...set(FROM),
    ...br(0),
    END,
    END,
    END,
  ];
  const body = [1, 13, 0x7f, ...code]; // 13 i32 locals
  return wasmModule([2, 0x7f, 0x7f], 1, body); // c(i32, i32), one page
}

/**
 * The source of src/sha256x4.ts's WebAssembly module: the SHA-256
 * compression function on four messages at once, one in each 32-bit lane of
 * a v128 (SIMD). Memory layout: see the module comment of src/sha256x4.ts.
 */
function sha256x4Module(): Uint8Array<ArrayBuffer> {
  // Memory: 0 lane pointers (4 i32), 16 lane block counts (4 i32), 32 state (8 v128),
  // 256 K (64 i32), 1024 schedule W (64 v128), messages from 4096.
  const [POINTERS, COUNTS, STATE, K, W] = [0, 16, 32, 256, 1024];
  // Locals: 0 blocks (parameter); i32 1 b, 2 i, 3 offset; v128 4-11 a-h, 12 x, 13 y, 14 t1, 15 t2, 16 mask.
  const [BLOCKS, BI, I, OFF, A, B, C, D, E, F, G, H, X, Y, T1, T2, MASK] = [...Array(17).keys()];
  const simd = (op: number) => [0xfd, ...uleb(op)];
  const vload = (offset: number) => [...simd(0x00), 4, ...uleb(offset)];
  const vstore = (offset: number) => [...simd(0x0b), 4, ...uleb(offset)];
  const splat32 = (offset: number) => [...simd(0x09), 2, ...uleb(offset)];
  const I32_ADD = 0x6a, I32_SHL = 0x74, I32_GE_U = 0x4f, I32_LT_U = 0x49;
  const SPLAT = simd(0x11);
  const replace = (lane: number) => [...simd(0x1c), lane];
  const SHUFFLE_BSWAP = [...simd(0x0d), 3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12];
  const [AND, OR, XOR, BITSELECT] = [simd(0x4e), simd(0x50), simd(0x51), simd(0x52)];
  const [SHL, SHR_U, ADD, LT_S] = [simd(0xab), simd(0xad), simd(0xae), simd(0x39)];
  const rotr = (v: number, n: number) => [
    ...get(v),
    ...i32(n),
    ...SHR_U,
    ...get(v),
    ...i32(32 - n),
    ...SHL,
    ...OR,
  ];
  /** rotr(v, r1) ^ rotr(v, r2) ^ (rotr or shr_u)(v, r3) */
  const sigma = (v: number, r1: number, r2: number, r3: number, shift: boolean) => [
    ...rotr(v, r1),
    ...rotr(v, r2),
    ...XOR,
    ...(shift ? [...get(v), ...i32(r3), ...SHR_U] : rotr(v, r3)),
    ...XOR,
  ];
  /** i += step; loop again while i < limit. */
  const next = (step: number, limit: number) => [
    ...get(I),
    ...i32(step),
    I32_ADD,
    ...tee(I),
    ...i32(limit),
    I32_LT_U,
    ...brIf(0),
  ];
  /** Lane `lane`'s message word at byte `offset + i` of its current block. */
  const laneWord = (lane: number) => [
    ...i32(0),
    ...load(POINTERS + 4 * lane),
    ...get(OFF),
    I32_ADD,
    ...get(I),
    I32_ADD,
    ...load(0),
  ];
  const code = [
    ...BLOCK,
    ...LOOP,
    ...get(BI),
    ...get(BLOCKS),
    I32_GE_U,
    ...brIf(1),
    // mask: the lanes that have block b
    ...get(BI),
    ...SPLAT,
    ...i32(0),
    ...vload(COUNTS),
    ...LT_S,
    ...set(MASK),
    // W[0..15]: each lane's word, byte-swapped (i: byte offset in the block)
    ...i32(0),
    ...set(I),
    ...LOOP,
    ...get(I),
    ...i32(2),
    I32_SHL,
    ...laneWord(0),
    ...SPLAT,
    ...laneWord(1),
    ...replace(1),
    ...laneWord(2),
    ...replace(2),
    ...laneWord(3),
    ...replace(3),
    ...tee(X),
    ...get(X),
    ...SHUFFLE_BSWAP,
    ...vstore(W),
    ...next(4, 64),
    END,
    // W[16..63] (i: byte offset in W; W[t - 15] is at W + i - 240, and so on)
    ...i32(256),
    ...set(I),
    ...LOOP,
    ...get(I),
    ...get(I),
    ...vload(W - 240),
    ...set(X),
    ...get(I),
    ...vload(W - 32),
    ...set(Y),
    ...get(I),
    ...vload(W - 256),
    ...sigma(X, 7, 18, 3, true),
    ...ADD,
    ...get(I),
    ...vload(W - 112),
    ...ADD,
    ...sigma(Y, 17, 19, 10, true),
    ...ADD,
    ...vstore(W),
    ...next(16, 1024),
    END,
    // The 64 rounds (i: byte offset in K; W[t] is at W + 4i).
    ...[A, B, C, D, E, F, G, H].flatMap((l, k) => [...i32(0), ...vload(STATE + 16 * k), ...set(l)]),
    ...i32(0),
    ...set(I),
    ...LOOP,
    ...get(H),
    ...sigma(E, 6, 11, 25, false),
    ...ADD,
    ...get(G),
    ...get(E),
    ...get(F),
    ...get(G),
    ...XOR,
    ...AND,
    ...XOR,
    ...ADD,
    ...get(I),
    ...splat32(K),
    ...ADD,
    ...get(I),
    ...i32(2),
    I32_SHL,
    ...vload(W),
    ...ADD,
    ...set(T1),
    ...sigma(A, 2, 13, 22, false),
    ...get(A),
    ...get(B),
    ...AND,
    ...get(C),
    ...get(A),
    ...get(B),
    ...OR,
    ...AND,
    ...OR,
    ...ADD,
    ...set(T2),
    ...roundEnd([A, B, C, D, E, F, G, H, T1, T2], ADD),
    ...next(4, 256),
    END,
    // state += a..h, in the lanes that had this block
    ...[A, B, C, D, E, F, G, H].flatMap((l, k) => [
      ...i32(0),
      ...i32(0),
      ...vload(STATE + 16 * k),
      ...get(l),
      ...ADD,
      ...i32(0),
      ...vload(STATE + 16 * k),
      ...get(MASK),
      ...BITSELECT,
      ...vstore(STATE + 16 * k),
    ]),
    ...get(BI),
    ...i32(1),
    I32_ADD,
    ...set(BI),
    ...get(OFF),
    ...i32(64),
    I32_ADD,
    ...set(OFF),
    ...br(0),
    END,
    END,
    END,
  ];
  const body = [2, 3, 0x7f, 13, 0x7b, ...code]; // 3 i32 locals, 13 v128 locals
  return wasmModule([1, 0x7f], 2, body); // c(i32), two pages
}
