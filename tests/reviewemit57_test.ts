/**
 * Review of stop 57's SHA-256 (hash-wasm's WebAssembly module, src/sha256.ts and
 * src/hash.ts): a file changed between the `stat` that picks its hasher and its read, and files
 * at the hashers' boundaries through `runrec hash`, `emit` and `stale`, each against
 * `sha256sum`.
 */
import { ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { makeProject, ROOT, tempDir } from "./fixtures.ts";
import { runCliProcess } from "./cli.ts";
import { seededRandom } from "./seed.ts";
import { WASM_BUDGET } from "../src/hash.ts";

/** `sha256sum` of the files named, by path. */
async function sha256sum(cwd: string, paths: string[]): Promise<Map<string, string>> {
  const { code, stdout } = await new Deno.Command("sha256sum", { args: paths, cwd }).output();
  strictEqual(code, 0);
  const lines = new TextDecoder().decode(stdout).trim().split("\n");
  return new Map(lines.map((l) => [l.slice(66), l.slice(0, 64)]));
}

Deno.test("hashFile of a file replaced, grown or shrunk between its stat and its read: the hash of what is there, in the module's fixed memory", async () => {
  const dir = await tempDir({ prefix: "runrec_reviewemit_" });
  const big = 64 << 20;
  const replacement = join(dir, "replacement");
  const bytes = new Uint8Array(big);
  for (let i = 0; i < big; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536));
  await Deno.writeFile(replacement, bytes);
  // Each file is small (or, for the shrunk one, within the budget) when looked at, then changed
  // while strace holds the hashing process in that `stat`'s return.
  const cases: [string, Uint8Array, (path: string) => void][] = [
    ["replaced", new TextEncoder().encode("small"), (p) => Deno.renameSync(replacement, p)],
    ["grown", new TextEncoder().encode("small"), (p) => Deno.truncateSync(p, big)],
    ["shrunk", bytes.subarray(0, 4 << 20), (p) => Deno.truncateSync(p, 10)],
  ];
  await Promise.all(cases.map(async ([name, start, change]) => {
    const path = join(dir, name);
    const log = join(dir, `${name}.log`);
    await Deno.writeFile(path, start);
    const child = new Deno.Command("strace", {
      args: [
        ...["-f", "-qq", "-o", log, "-P", path, "-e", "trace=statx", "-e"],
        "inject=statx:delay_exit=1500000:when=1",
        ...[Deno.execPath(), "run", "-A", join(ROOT, "tests/support/hash_peak.ts"), path],
      ],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const output = child.output();
    while (!/\(DELAYED\)/.test(await Deno.readTextFile(log).catch(() => ""))) {
      await new Promise((r) => setTimeout(r, 10));
    }
    change(path);
    const { code, stdout, stderr } = await output;
    strictEqual(code, 0, new TextDecoder().decode(stderr));
    const [hash, rose] = new TextDecoder().decode(stdout).trim().split(" ");
    const now = await Deno.readFile(path);
    strictEqual(hash, createHash("sha256").update(now).digest("hex"), name);
    // Read whole, the 64 MiB took over 100 MiB; streamed, the module's own 16 KiB.
    ok(Number(rose) < 16 * 1024, `${name}: peak memory rose ${rose} KiB`);
  }));
});

Deno.test("runrec hash, emit and stale equal sha256sum for files at the hashers' boundaries, in a seeded random order and choice", async () => {
  const { del } = await makeProject();
  const random = seededRandom("files at the hashers' boundaries");
  const budget = WASM_BUDGET;
  // 16 KiB: the module's buffer; WASM_BUDGET: where node:crypto takes over, per process.
  const sizes = [0, 1, 16_383, 16_384, 16_385, budget - 1, budget, budget + 1, 64 << 20];
  const files: string[] = [];
  const block = Uint8Array.from({ length: 65536 }, () => (random() * 256) | 0);
  for (const size of sizes) {
    // Random names: whatever order the CLI hashes them in, which files come first changes.
    const name = `${Math.floor(random() * 1e6)}-${size}.bin`;
    // A seeded 64 KiB block, repeated, each copy with its index in its first bytes.
    const bytes = new Uint8Array(size);
    for (let i = 0; i < size; i += 65536) {
      bytes.set(block.subarray(0, size - i), i);
      if (i + 4 <= size) new DataView(bytes.buffer).setUint32(i, i / 65536);
    }
    await Deno.writeFile(join(del, name), bytes);
    files.push(name);
  }
  for (const [name, size] of [["sparse-4m.bin", budget], ["sparse-64m.bin", 64 << 20]] as const) {
    using file = await Deno.open(join(del, name), { write: true, create: true });
    await file.truncate(size);
    await file.seek(Math.floor(random() * size), Deno.SeekMode.Start);
    await file.write(new Uint8Array([1]));
    files.push(name);
  }
  await Deno.symlink(files[Math.floor(random() * files.length)], join(del, "link.bin"));
  files.push("link.bin");
  const inputArgs = (names: string[]) => names.flatMap((name) => ["--input", name]);
  // sha256sum's, once for each file (it is slower than runrec on the large ones).
  const expected = new Map<string, string>();
  const expectEqual = async (hashes: Record<string, string>, what: string) => {
    const unseen = Object.keys(hashes).filter((path) => !expected.has(path));
    if (unseen.length > 0) (await sha256sum(del, unseen)).forEach((h, p) => expected.set(p, h));
    for (const [path, hash] of Object.entries(hashes)) {
      strictEqual(hash, expected.get(path), `${what}: ${path}`);
    }
  };
  // Each boundary file first once (the CLI may sort: then alone with a few small ones), then
  // random choices.
  const trials = [
    ...[budget - 1, budget].map((size) => [files[sizes.indexOf(size)], files[1], files[3]]),
    ...Array.from({ length: 2 }, () => files.filter(() => random() < 0.5)),
  ];
  for (const chosen of trials) {
    const out = await runCliProcess(["hash", del, ...inputArgs(chosen), "--json"]);
    strictEqual(out.code, 0, out.stderr);
    const { InputHashes } = JSON.parse(out.stdout);
    ok(chosen.every((name) => name in InputHashes), out.stdout);
    await expectEqual(InputHashes, `hash ${chosen.join(" ")}`);
  }
  const emitted = await runCliProcess(
    ["emit", del, "--agent", "A", "--status", "SUCCESS", ...inputArgs(files), "--json"],
  );
  strictEqual(emitted.code, 0, emitted.stderr);
  await expectEqual(JSON.parse(emitted.stdout).InputHashes, "emit");
  const stale = async () => {
    const out = await runCliProcess(["stale", del, "--json"]);
    return JSON.parse(out.stdout).checks[0];
  };
  strictEqual((await stale()).verdict, "CLEAN");
  // One byte changed anywhere in one file: stale names it (and the link, if it leads there).
  const changed = files[Math.floor(random() * (files.length - 1))];
  const before = new Map(files.map((f) => [f, expected.get(f)]));
  const bytes = await Deno.readFile(join(del, changed));
  if (bytes.length === 0) await Deno.writeFile(join(del, changed), new Uint8Array([0]));
  else {
    bytes[Math.floor(random() * bytes.length)] ^= 0x80;
    await Deno.writeFile(join(del, changed), bytes);
  }
  const after = new Map([...before, ...await sha256sum(del, [changed, "link.bin"])]);
  const check = await stale();
  strictEqual(check.verdict, "DIRTY");
  const changes = check.inputs as { path: string; baseline: string; current: string }[];
  strictEqual(
    JSON.stringify(changes.map((c) => c.path).sort()),
    JSON.stringify(files.filter((f) => before.get(f) !== after.get(f)).sort()),
  );
  for (const { path, baseline, current } of changes) {
    strictEqual(baseline, before.get(path), `stale's baseline of ${path}`);
    strictEqual(current, after.get(path), `stale's hash of ${path}`);
  }
});
