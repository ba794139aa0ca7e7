/**
 * SHA-256: `sha256Hex` (./src/sha256.ts, `hash-wasm`'s WebAssembly module)
 * against `node:crypto` and `openssl` on every length 0..300, strings as UTF-8
 * and a few large inputs; the module against the package's own; and `hashFile`
 * on both sides of its `node:crypto` threshold.
 */
import { createHash } from "node:crypto";
import { ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
// deno-lint-ignore no-import-prefix -- the package whose module src/sha256_wasm.ts holds
import { createSHA256 } from "npm:hash-wasm@4.13.0/dist/index.esm.js";
import { isLowerHex, isSha256Hex, sha256Hex, sha256Reading } from "../src/sha256.ts";
import { SHA256_WASM_BASE64 } from "../src/sha256_wasm.ts";
import { hashFile, WASM_BUDGET } from "../src/hash.ts";
import { tempDir } from "./fixtures.ts";
import { seededRandom } from "./seed.ts";

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

Deno.test("sha256Hex of strings: their UTF-8 bytes, long and short", () => {
  const encoder = new TextEncoder();
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
  const sizes = [
    16_383, // the module takes 16 KiB an update
    16_384,
    16_385,
    32_768,
    64_511,
    64_512,
    64_513,
    64_575,
    64_576,
    64_577,
    100_000,
    1 << 20,
    5_000_001,
  ];
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
  const random = seededRandom("sha256Hex of random strings");
  for (let i = 0; i < 200; i++) {
    strings.push(
      Array.from({ length: i }, () => String.fromCodePoint(Math.floor(random() * 0x11000)))
        .join(""),
    );
  }
  for (const s of strings) strictEqual(sha256Hex(s), nodeSha256(s), JSON.stringify(s.slice(0, 40)));
});

Deno.test("sha256_wasm.ts holds hash-wasm 4.13.0's own SHA-256 module, which hashes as the package does", async () => {
  const module = (Uint8Array as unknown as { fromBase64(text: string): Uint8Array })
    .fromBase64(SHA256_WASM_BASE64);
  strictEqual(
    createHash("sha256").update(module).digest("hex"),
    "7ad88dae37c322722a047435058ffc5e4f3315762c7114dfa740e5db6b474c87",
  );
  // The package stamps each saved state with the first 4 bytes of its module's SHA-1.
  const theirs = await createSHA256();
  strictEqual(
    theirs.init().save().subarray(0, 4).toHex(),
    createHash("sha1").update(module).digest("hex").slice(0, 8),
  );
  for (const n of [0, 1, 55, 56, 63, 64, 65, 1000, 16_384, 16_385, 100_000]) {
    const bytes = randomBytes(n);
    strictEqual(sha256Hex(bytes), theirs.init().update(bytes).digest("hex"), `length ${n}`);
  }
});

Deno.test("sha256Reading hashes what its reads give, however they split the bytes", async () => {
  const dir = await tempDir({ prefix: "runrec_sha256_reading_" });
  try {
    for (const size of [0, 1, 16_383, 16_384, 16_385, 70_000]) {
      const path = join(dir, `f${size}`);
      const bytes = randomBytes(size);
      Deno.writeFileSync(path, bytes);
      using file = Deno.openSync(path);
      strictEqual(sha256Reading((into) => file.readSync(into)), nodeSha256(bytes), `size ${size}`);
      // Short reads and empty ones (a pipe, a file read as it is written) change nothing.
      let at = 0;
      let turn = 0;
      const hash = sha256Reading((into) => {
        if (at === size) return null;
        const n = Math.min(size - at, into.length, [0, 1, 63, 4097][turn++ % 4]);
        into.set(bytes.subarray(at, at + n));
        at += n;
        return n;
      });
      strictEqual(hash, nodeSha256(bytes), `size ${size}, short reads`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("hashFile: small files (WebAssembly) and files above WASM_BUDGET (node:crypto)", async () => {
  const dir = await tempDir({ prefix: "runrec_sha256_files_" });
  try {
    const sizes = [0, 1, 4096, WASM_BUDGET, WASM_BUDGET + 1, 3 * 1024 * 1024 + 5];
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

Deno.test("isLowerHex and isSha256Hex: lowercase hex digits only, 64 of them for a hash", () => {
  const hash = "0123456789abcdef".repeat(4);
  ok(isSha256Hex(hash) && isLowerHex(hash) && isLowerHex(""));
  for (
    const bad of [hash.toUpperCase(), `${hash}0`, hash.slice(1), `${hash.slice(1)}g`, `${hash}\n`]
  ) {
    ok(!isSha256Hex(bad), bad);
  }
  ok(!isLowerHex("09AF") && !isLowerHex("0x") && !isLowerHex("0\n"));
});

Deno.test("isLowerHex equals /^[0-9a-f]*$/ for random strings, hash-long and not", () => {
  const random = seededRandom("isLowerHex of random strings");
  const alphabet = "0123456789abcdefABCDEFgxz \n,é";
  const pick = () => alphabet[Math.floor(random() * alphabet.length)];
  for (let i = 0; i < 20_000; i++) {
    const length = i % 3 === 0 ? 64 : Math.floor(random() * 70);
    // Mostly lowercase hex, with a few other characters where a hash's would be.
    const text = Array.from(
      { length },
      () => random() < 0.98 ? "0123456789abcdef"[Math.floor(random() * 16)] : pick(),
    ).join("");
    strictEqual(isLowerHex(text), /^[0-9a-f]*$/.test(text), JSON.stringify(text));
  }
});
