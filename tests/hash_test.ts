import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { hashFile, hashFiles } from "../src/hash.ts";
import { startFileHasher } from "../src/hash_pool.ts";
import { InputError } from "../src/errors.ts";
import { tempDir } from "./fixtures.ts";

/** What `openssl dgst -sha256` prints for a file, as lowercase hex. */
async function opensslSha256(path: string): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command("openssl", {
    args: ["dgst", "-sha256", "-r", path],
  }).output();
  const decoder = new TextDecoder();
  if (code !== 0) throw new Error(`openssl failed: ${decoder.decode(stderr)}`);
  return decoder.decode(stdout).split(" ")[0];
}

function randomBytes(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536));
  return bytes;
}

async function withTempDir(fn: (dir: string) => Promise<void>) {
  const dir = await tempDir({ prefix: "runrec_hash_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("hashFile equals openssl dgst -sha256 for empty, 1 byte, 5 MiB and a non-ASCII name", async () => {
  await withTempDir(async (dir) => {
    const files: Record<string, Uint8Array> = {
      "empty.bin": new Uint8Array(0),
      "one.bin": new Uint8Array([0x61]),
      "five_mib.bin": randomBytes(5 * 1024 * 1024 + 7),
      "exact_4_mib.bin": randomBytes(4 * 1024 * 1024), // a multiple of the read buffer
      "Straße — 日本語 ✓.md": new TextEncoder().encode("non-ASCII name\n"),
    };
    for (const [name, bytes] of Object.entries(files)) {
      const path = join(dir, name);
      await Deno.writeFile(path, bytes);
      const expected = await opensslSha256(path);
      ok(/^[0-9a-f]{64}$/.test(expected), `openssl printed ${expected}`);
      strictEqual(await hashFile(path), expected, name);
    }
    strictEqual(
      await hashFile(join(dir, "empty.bin")),
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
    strictEqual(
      await hashFile(join(dir, "one.bin")),
      "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb",
    );
  });
});

Deno.test("hashFile rejects for a missing file and for a folder", async () => {
  await withTempDir(async (dir) => {
    let missing: unknown;
    await hashFile(join(dir, "missing")).catch((error) => missing = error);
    ok(missing instanceof InputError);
    strictEqual(((missing as Error).cause as { code?: string }).code, "ENOENT");
    let folder: unknown;
    await hashFile(dir).catch((error) => folder = error);
    ok(folder instanceof Error);
  });
});

Deno.test("hashFiles hashes each path once and maps unreadable ones to their Error", async () => {
  await withTempDir(async (dir) => {
    const paths: string[] = [];
    for (let i = 0; i < 50; i++) {
      const path = join(dir, `f${i}.txt`);
      await Deno.writeFile(path, randomBytes(i * 97));
      paths.push(path);
    }
    const missing = join(dir, "missing.txt");
    const result = await hashFiles([...paths, missing, dir, paths[0]]);
    strictEqual(result.size, paths.length + 2);
    for (const path of paths) strictEqual(result.get(path), await opensslSha256(path), path);
    ok(result.get(missing) instanceof Error);
    ok(result.get(dir) instanceof Error);
    deepStrictEqual([...result.keys()], [...paths, missing, dir]);
  });
});

Deno.test("hashFiles of no paths is an empty map", async () => {
  strictEqual((await hashFiles([])).size, 0);
});

Deno.test("hashFile and hashFiles refuse a FIFO and a device at once, never waiting or reading without end", async () => {
  await withTempDir(async (dir) => {
    const fifo = join(dir, "pipe");
    strictEqual((await new Deno.Command("mkfifo", { args: [fifo] }).output()).code, 0);
    const plain = join(dir, "plain.txt");
    await Deno.writeTextFile(plain, "");
    const hashes = await hashFiles([fifo, "/dev/zero", plain]);
    for (const path of [fifo, "/dev/zero"]) {
      const error = hashes.get(path);
      ok(error instanceof Error && error.message.includes("not a regular file"), path);
    }
    strictEqual(
      hashes.get(plain),
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
    let refused: unknown;
    await hashFile(fifo).catch((error) => refused = error);
    ok(refused instanceof InputError && refused.message.includes("not a regular file"));
  });
});

Deno.test("the hash pool batches paths without a timer: Deno's first setTimeout loads Node's timers, which cost a short stale ~25 ms", async () => {
  await withTempDir(async (dir) => {
    const paths = ["a.txt", "b.txt"].map((name) => join(dir, name));
    for (const path of paths) await Deno.writeTextFile(path, path);
    const setTimeoutBefore = globalThis.setTimeout;
    let timers = 0;
    globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
      timers++;
      return setTimeoutBefore(...args);
    }) as typeof setTimeout;
    const hasher = startFileHasher({ workers: 0 });
    try {
      const [first, both] = await Promise.all([hasher.hash([paths[0]]), hasher.hash(paths)]);
      const direct = await hashFiles(paths);
      strictEqual(first.get(paths[0]), direct.get(paths[0]));
      deepStrictEqual([...both], [...direct]);
      strictEqual(hasher.hashed, 2);
    } finally {
      hasher.close();
      globalThis.setTimeout = setTimeoutBefore;
    }
    strictEqual(timers, 0);
  });
});

Deno.test("the hash pool asked to hash after close() rejects, with or without workers, where it waited for ever", async () => {
  for (const workers of [0, 1]) {
    const hasher = startFileHasher({ workers });
    await hasher.loaded;
    hasher.close();
    await rejects(() => hasher.hash([new URL(import.meta.url).pathname]), /hasher is closed/);
  }
});
